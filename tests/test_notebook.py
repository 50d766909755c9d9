"""docs/quickstart.ipynb: committed without outputs, and it runs on a real Jupyter kernel."""

from __future__ import annotations

import pathlib

import nbformat
import pytest

NOTEBOOK = pathlib.Path(__file__).resolve().parents[1] / "docs" / "quickstart.ipynb"


def _code_cells(nb) -> list:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def test_the_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert [(c.outputs, c.execution_count) for c in _code_cells(nb)] == \
        [([], None)] * len(_code_cells(nb))


@pytest.mark.slow
def test_the_notebook_runs_on_a_real_kernel(tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    # a kernel of this interpreter (ipykernel's own spec), in an empty folder; an error
    # cell raises CellExecutionError
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [cell.outputs for cell in _code_cells(nb)]
    assert not [o for cell in outputs for o in cell if o.output_type == "error"]
    shown = [o["data"] for cell in outputs for o in cell if o.output_type == "execute_result"]
    run_view = next(data["text/html"] for data in shown if "text/html" in data
                    and "cheatgrid run smoke" in data["text/html"])
    assert "<svg" in run_view and "Findings" in run_view
    printed = "".join(o.get("text", "") for cell in outputs for o in cell
                      if o.output_type == "stream")
    assert "Verdicts: 120 cells" in printed
    assert "metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)]" in printed
    assert (tmp_path / "quickstart_smoke" / "results.csv").is_file()
