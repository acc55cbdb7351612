"""notebooks/audit_starcoder2.ipynb runs from top to bottom (nbclient, a fresh kernel) on the
StarCoder2 data in ../shared/data, and its outputs stay small."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO

DATA = REPO.parent / "shared" / "data" / "starcoder2-extraction" / "starcoder2_extraction_java.parquet"


@pytest.mark.timeout(900)
def test_starcoder2_audit_notebook_runs(tmp_path):
    if not DATA.is_file():
        pytest.skip(f"no StarCoder2 data at {DATA}")
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(REPO / "notebooks" / "audit_starcoder2.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(REPO / "notebooks")}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert len(json.dumps([dict(o) for o in outputs])) < 400_000
    text = "\n".join(str(o.get("data", {}).get("text/plain", o.get("text", ""))) for o in outputs)
    # the audit covered the 3,000 generations of the three models and compared them
    assert "'inputs': 3000" in text and "StarCoder2-15B" in text and "StarCoder2-3B" in text
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2
