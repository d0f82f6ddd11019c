"""docs/tutorial.ipynb runs from top to bottom: run, compare, Chinese, sweep, plot, event log."""

from __future__ import annotations

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow

NOTEBOOK = REPO / "docs" / "tutorial.ipynb"


def test_the_tutorial_runs_and_shows_what_it_says():
    nbformat = pytest.importorskip("nbformat")  # in the test extras: CI has them
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "store it without outputs"
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("merged vs siloed, one replication" in h for h in html)  # the run shows its finding
    assert any("5 replications" in h for h in html)  # so does the comparison
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "多格合一综合网格对比条线网格，5 次重复" in text
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the plot
