"""The same build and audit on a real local Ray instance as with local processes: identical
index (same content-addressed id) and identical audit results."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor import api
from auditor.errors import AuditorError

GOLDEN = Path(__file__).parent / "data" / "golden"


def test_ray_build_and_audit_equal_local(stdlib_dir, tmp_path):
    pytest.importorskip("ray", reason="the auditor[ray] extra is not installed")
    sources = [str(stdlib_dir / "json"), str(GOLDEN / "corpus" / "six-1.16.0")]
    local, _ = api.build_index(sources, tmp_path / "local", workers=2, show_progress=False, scan_headers=False)
    ray, _ = api.build_index(sources, tmp_path / "ray", workers=2, show_progress=False, scan_headers=False,
                             executor="ray")
    assert ray["id"] == local["id"] and ray["counts"] == local["counts"]
    for table in ("signatures.npy", "band_keys.npy", "files.jsonl", "content.bin"):
        assert (tmp_path / "ray" / table).read_bytes() == (tmp_path / "local" / table).read_bytes(), table

    gens = tmp_path / "gens.jsonl"
    with open(gens, "w") as fh:
        for k, name in enumerate(sorted((GOLDEN / "snippets").glob("*.py"))):
            fh.write(json.dumps({"id": name.stem, "text": name.read_text()}) + "\n")
        decoder = (stdlib_dir / "json" / "decoder.py").read_text().splitlines()
        for k in range(0, 300, 30):
            fh.write(json.dumps({"id": f"decoder-{k}", "text": "\n".join(decoder[k:k + 25])}) + "\n")
    index = api.open_index(tmp_path / "local", show_progress=False)
    api.audit(gens, tmp_path / "a-local", index, workers=2, show_progress=False)
    api.audit(gens, tmp_path / "a-ray", index, workers=2, show_progress=False, executor="ray")
    local_rows = (tmp_path / "a-local" / "results.jsonl").read_text()
    assert local_rows == (tmp_path / "a-ray" / "results.jsonl").read_text()
    assert sum(1 for line in local_rows.splitlines() if json.loads(line)["verdict"] != "none") >= 8


def test_ray_address_without_ray_executor_is_refused(tmp_path):
    with pytest.raises(AuditorError, match="--ray-address needs --executor ray"):
        api.build_index([str(GOLDEN / "corpus" / "six-1.16.0")], tmp_path / "x", show_progress=False,
                        ray_address="auto")


def test_missing_ray_extra_is_one_clear_error(monkeypatch, tmp_path):
    import sys

    from auditor.pipeline import make_executor

    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    with pytest.raises(AuditorError, match=r"pip install 'auditor\[ray\]'"):
        make_executor("ray", 1)
