"""``python -m sim`` is the same as ``gridsim``."""

import sys

from .cli import main

sys.exit(main())
