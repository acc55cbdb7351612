"""Building, opening and rejecting indexes."""
from __future__ import annotations

import json
import os
from pathlib import Path
import shutil

import numpy as np
import pytest

from auditor import api
from auditor.errors import AuditorError
from auditor.index.layout import check_tables, read_manifest
from auditor.index.reader import Index


def test_build_writes_documented_layout(stdlib_index):
    manifest = read_manifest(stdlib_index)
    names = {p.name for p in Path(stdlib_index).iterdir()}
    assert {"manifest.json", "files.parquet", "content.bin", "signatures.npy", "band_keys.npy",
            "band_windows.npy", "windows.npy", "blob_ids.npy", "content_offsets.npy"} <= names
    assert not any(n.endswith((".pkl", ".pickle")) for n in names)
    assert manifest["schema"] == "auditor.index/2" and manifest["id"].startswith("idx-")
    assert manifest["counts"]["files"] > 30 and manifest["counts"]["windows"] > 1000
    assert check_tables(stdlib_index, manifest) == []
    for name in ("signatures", "band_keys"):  # plain npy, loadable without pickle, opened by mmap
        arr = np.load(Path(stdlib_index) / f"{name}.npy", mmap_mode="r", allow_pickle=False)
        assert isinstance(arr, np.memmap)


def test_index_knows_files_and_contents(stdlib_index, stdlib_dir):
    ix = Index(stdlib_index)
    rows = [r for b in range(len(ix.blob_ids)) for r in ix.files_of(b)]
    by_path = {r["path"]: r for r in rows}
    assert "json/decoder.py" in by_path
    row = by_path["json/decoder.py"]
    assert row["repo_name"] == "cpython-lib"
    assert ix.blob_text(row["blob"]) == (stdlib_dir / "json" / "decoder.py").read_text("utf-8")
    assert ix.blob_id(row["blob"]) == row["blob_id"]


def test_rebuild_replaces_atomically(stdlib_dir, tmp_path):
    out = tmp_path / "idx"
    m1, _ = api.build_index([str(stdlib_dir / "json")], out, workers=1, show_progress=False)
    m2, _ = api.build_index([str(stdlib_dir / "email")], out, workers=1, show_progress=False)
    assert m1["id"] != m2["id"] and read_manifest(out)["id"] == m2["id"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]  # no temp or old directory left


def test_failed_build_leaves_previous_index(stdlib_dir, tmp_path):
    out = tmp_path / "idx"
    m1, _ = api.build_index([str(stdlib_dir / "json")], out, workers=1, show_progress=False)
    with pytest.raises(AuditorError):
        api.build_index([str(tmp_path / "missing-dir")], out, workers=1, show_progress=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(AuditorError, match="no source files"):
        api.build_index([str(empty)], out, workers=1, show_progress=False)
    assert read_manifest(out)["id"] == m1["id"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "idx"]


def test_missing_and_corrupt_indexes_are_refused(stdlib_index, tmp_path):
    with pytest.raises(AuditorError, match="no index at"):
        Index(tmp_path / "nope")
    bad = tmp_path / "bad"
    shutil.copytree(stdlib_index, bad)
    (bad / "manifest.json").write_text("{ not json")
    with pytest.raises(AuditorError, match="corrupt index manifest"):
        Index(bad)
    shutil.rmtree(bad)
    shutil.copytree(stdlib_index, bad)
    (bad / "signatures.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(AuditorError, match="corrupt index"):
        Index(bad)
    shutil.rmtree(bad)
    shutil.copytree(stdlib_index, bad)
    os.remove(bad / "band_keys.npy")
    with pytest.raises(AuditorError, match="incomplete"):
        Index(bad)
    shutil.rmtree(bad)
    shutil.copytree(stdlib_index, bad)
    with open(bad / "content.bin", "ab") as fh:
        fh.write(b"x")
    with pytest.raises(AuditorError, match="content.bin"):
        Index(bad)


def test_index_with_other_parameters_is_refused(stdlib_index, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(stdlib_index, other)
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["config"]["fingerprint"]["window"] = 64  # tables were built with 32-token windows
    (other / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(AuditorError, match="config tag"):
        Index(other)
    manifest["config"]["tag"] = api.make_config(window=64, stride=32).tag
    manifest["config"]["fingerprint"]["stride"] = 32
    (other / "manifest.json").write_text(json.dumps(manifest))
    ix = Index(other)  # self-consistent manifest: opens, but a query with default parameters is refused
    with pytest.raises(AuditorError, match="was built with"):
        ix.check_config(api.make_config())
    manifest["config"]["tag"] = "t1_" + manifest["config"]["tag"].split("_", 1)[1]  # an older tokeniser
    (other / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(AuditorError, match="tokeniser .*rebuild"):
        Index(other)
    manifest["config"]["tag"] = api.make_config(window=64, stride=32).tag
    good_languages = manifest["languages"]
    manifest["languages"] = "Python"
    (other / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(AuditorError, match="languages must be a list"):
        Index(other)
    manifest["languages"] = good_languages[:0]  # blobs name a language the manifest no longer lists
    (other / "manifest.json").write_text(json.dumps(manifest))
    ix = Index(other)
    with pytest.raises(AuditorError, match="language 0, the manifest names 0"):
        [ix.blob_language(b) for b in range(len(ix.blob_ids))]
    manifest["languages"] = good_languages
    manifest["schema"] = "auditor.index/999"
    (other / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(AuditorError, match="rebuild"):
        Index(other)


def test_identical_files_share_one_blob(stdlib_dir, tmp_path):
    a, b = tmp_path / "repo-a", tmp_path / "repo-b"
    shutil.copytree(stdlib_dir / "json", a)
    shutil.copytree(stdlib_dir / "json", b)
    manifest, stats = api.build_index([str(a), str(b)], tmp_path / "idx", workers=1, show_progress=False)
    assert stats.duplicate_files == stats.files // 2 and manifest["counts"]["blobs"] == stats.files // 2


def test_same_sources_give_the_same_index_and_scans_are_cached(stdlib_dir, tmp_path, monkeypatch):
    """Reproducible: the id is a content address, whatever the worker count; ScanCode results are
    cached by blob sha1, so a rebuild scans nothing again."""
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(tmp_path / "cache"))
    m1, s1 = api.build_index([str(stdlib_dir / "email")], tmp_path / "a", workers=2, show_progress=False)
    m2, s2 = api.build_index([str(stdlib_dir / "email")], tmp_path / "b", workers=1, show_progress=False)
    assert m1["id"] == m2["id"]
    assert s1.scan_cache_hits == 0 and s2.scan_cache_hits == s2.blobs
    assert (tmp_path / "cache" / "scan-cache.sqlite").is_file()
