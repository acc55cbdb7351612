"""The same build and audit on a real local Ray instance as with local processes: identical
index (same content-addressed id, the same bytes in every fingerprint table, reduced from the
same parquet shards) and identical audit results."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from auditor import api
from auditor.config import IndexConfig
from auditor.errors import AuditorError
from auditor.index import builder
from auditor.index.layout import MANIFEST, TABLES
from auditor.index.shards import read_shard, reduce_bands

GOLDEN = Path(__file__).parent / "data" / "golden"


def test_ray_build_and_audit_equal_local(stdlib_dir, tmp_path, monkeypatch):
    pytest.importorskip("ray", reason="the auditor[ray] extra is not installed")
    monkeypatch.setattr(builder, "BATCH_FILES", 4)  # several batches, hence several shards, of these few files
    sources = [str(stdlib_dir / "json"), str(GOLDEN / "corpus" / "six-1.16.0")]
    local, _ = api.build_index(sources, tmp_path / "local", workers=2, show_progress=False, scan_headers=False)
    # The Ray build's map tasks write their parquet shards under --shard-dir, kept here to be checked.
    ray, _ = api.build_index(sources, tmp_path / "ray", workers=2, show_progress=False, scan_headers=False,
                             executor="ray", shard_dir=tmp_path / "shared", keep_shards=True)
    assert ray["id"] == local["id"] and ray["counts"] == local["counts"]
    for table in ("signatures.npy", "windows.npy", "band_keys.npy", "band_windows.npy", "files.jsonl",
                  "content.bin"):
        assert (tmp_path / "ray" / table).read_bytes() == (tmp_path / "local" / table).read_bytes(), table
    # Nothing of the staging directory ends up in either index.
    for out in ("local", "ray"):
        assert sorted(p.name for p in (tmp_path / out).iterdir()) == sorted(TABLES + (MANIFEST,))

    (staging,) = (tmp_path / "shared").iterdir()
    shards = sorted((staging / "shards").glob("batch-*.parquet"))
    assert len(shards) >= 2, "the Ray build wrote no parquet shards"
    signatures = np.load(tmp_path / "ray" / "signatures.npy")
    windows = np.load(tmp_path / "ray" / "windows.npy")
    at = 0
    for shard in shards:  # each shard reads back to its rows of the index, in batch order
        win, sig = read_shard(str(shard))
        assert sig.dtype == np.uint32 and np.array_equal(sig, signatures[at:at + len(sig)]), shard.name
        assert np.array_equal(win, windows[at:at + len(win)]), shard.name
        at += len(sig)
    assert at == len(signatures) == ray["counts"]["windows"]
    assert len(list((staging / "bands").glob("band-*.keys.npy"))) == IndexConfig().lsh.bands

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


def test_a_ray_task_that_cannot_see_the_staging_dir_is_one_clear_error(tmp_path):
    pytest.importorskip("ray", reason="the auditor[ray] extra is not installed")
    from auditor.pipeline import RayExecutor

    executor = RayExecutor(1)
    try:  # as on a node that does not mount the build's staging directory
        future = executor.submit(reduce_bands, [], [0], 2, str(tmp_path / "not-mounted-here"))
        with pytest.raises(AuditorError, match=r"staging directory .* is not visible on .*--shard-dir"):
            future.result(timeout=300)
    finally:
        executor.shutdown()
