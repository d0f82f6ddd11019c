#!/bin/sh
# The message catalogues (sim/i18n.py): extract the messages marked _() and N_() into
# sim/locale/gridsim.pot, merge them into each language's .po (new ones untranslated, gone
# ones dropped), and compile the .mo files.  Edit the msgstr lines of the .po, then run again.
# Needs Babel (pip install -e '.[test]').
set -e
cd "$(dirname "$0")/.."
pybabel extract -F babel.cfg -k N_ --no-location --sort-output --omit-header -o sim/locale/gridsim.pot .
pybabel update -i sim/locale/gridsim.pot -d sim/locale -D gridsim --ignore-obsolete --no-fuzzy-matching --ignore-pot-creation-date
pybabel compile -d sim/locale -D gridsim --statistics
