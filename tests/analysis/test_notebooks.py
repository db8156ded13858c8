"""The notebooks in notebooks/ run from top to bottom against the built binary, so they never rot.

Each test executes one notebook with nbclient in a fresh python3 (ipykernel) kernel, with
notebooks/ as the working directory as Jupyter would have it, and fails with the failing cell's
source and traceback if any cell raises. The binary comes from LBSIM_BINARY (as for the other
analysis tests; the notebooks read the same variable). The notebooks' scratch output goes to a
temporary directory of the test's own (TMPDIR for the kernel), removed afterwards.
"""

import os
import re
import shutil
import tempfile
import unittest
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from tests.analysis import fixtures

NOTEBOOKS = fixtures.REPO / "notebooks"
CELL_TIMEOUT_S = 300
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


class NotebookTest(unittest.TestCase):
    def execute(self, name: str, figures: int) -> nbformat.NotebookNode:
        """Runs notebooks/<name>; checks it was committed without outputs, that it starts with
        a markdown introduction and that it drew `figures` figures (PNG outputs)."""
        binary = fixtures.binary()  # fails with a message when LBSIM_BINARY is missing
        path = NOTEBOOKS / name
        self.assertTrue(path.is_file(), f"{path}: missing")
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        self.assertEqual(notebook.cells[0].cell_type, "markdown",
                         f"{name}: the first cell should be the markdown introduction")
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "code":
                self.assertEqual(cell.outputs, [], f"{name}: cell {index} has stored outputs")
                self.assertIsNone(cell.execution_count,
                                  f"{name}: cell {index} has an execution count stored")

        scratch = tempfile.mkdtemp(prefix="lbsim-notebook-test-")
        self.addCleanup(shutil.rmtree, scratch, ignore_errors=True)
        env = dict(os.environ)
        env.update({
            "LBSIM_BINARY": str(binary.resolve()),
            "TMPDIR": scratch,
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # ipykernel's debugger warning on stderr
        })
        client = NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                resources={"metadata": {"path": str(NOTEBOOKS)}})
        failure = None
        try:
            client.execute(env=env)
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
            failure = ANSI_ESCAPE.sub("", str(error))  # IPython colours its tracebacks
        if failure is not None:
            self.fail(f"{name}: a cell failed:\n{failure}")

        pngs = sum(1 for cell in notebook.cells if cell.cell_type == "code"
                   for output in cell.outputs if "image/png" in output.get("data", {}))
        self.assertEqual(pngs, figures, f"{name}: expected {figures} figures drawn")
        return notebook

    def test_incident_replay(self):
        self.execute("incident_replay.ipynb", figures=4)

    def test_strategy_comparison(self):
        self.execute("strategy_comparison.ipynb", figures=1)

    def test_capacity_review(self):
        self.execute("capacity_review.ipynb", figures=2)


if __name__ == "__main__":
    unittest.main()
