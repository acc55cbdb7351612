"""The sharded build: the parquet shards of the map and the per-band reduce give exactly the
tables that ``band_keys`` and a stable argsort over all the signatures give, on real code."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from auditor import api
from auditor.config import IndexConfig
from auditor.errors import AuditorError
from auditor.fingerprint import band_keys
from auditor.index import builder
from auditor.index.layout import MANIFEST, TABLES
from auditor.index.shards import band_groups, band_paths, make_staging, read_shard, reduce_bands, stack_bands


def _npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


@pytest.fixture(scope="module")
def sharded(stdlib_dir, tmp_path_factory):
    """The stdlib tree built in a pool of 2 processes (two band tasks), shards kept; and in-process.
    Batches of 4 files, so that its 45 files make a dozen shards."""
    root = tmp_path_factory.mktemp("sharded")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(builder, "BATCH_FILES", 4)
        pooled, _ = api.build_index([str(stdlib_dir)], root / "pooled", workers=2, show_progress=False,
                                    scan_headers=False, shard_dir=root / "shared", keep_shards=True)
        single, _ = api.build_index([str(stdlib_dir)], root / "single", workers=1, show_progress=False,
                                    scan_headers=False)
    (staging,) = (root / "shared").iterdir()
    return root, staging, pooled, single


def test_band_reduce_equals_band_keys_and_stable_argsort(sharded):
    root, staging, pooled, single = sharded
    config = IndexConfig()
    shards = sorted((staging / "shards").glob("batch-*.parquet"))
    assert len(shards) >= 10
    signatures = np.concatenate([read_shard(str(p))[1] for p in shards])
    assert len(signatures) == pooled["counts"]["windows"] > 5_000
    assert (root / "pooled" / "signatures.npy").read_bytes() == _npy_bytes(signatures)

    keys = band_keys(signatures, config.lsh.bands, config.lsh.rows)
    order = np.argsort(keys, axis=1, kind="stable")
    expected_keys, expected_windows = np.take_along_axis(keys, order, axis=1), order.astype(np.uint32)
    for out in ("pooled", "single"):
        assert (root / out / "band_keys.npy").read_bytes() == _npy_bytes(expected_keys), out
        assert (root / out / "band_windows.npy").read_bytes() == _npy_bytes(expected_windows), out
    for b in range(config.lsh.bands):  # what each band task wrote
        keys_path, windows_path = band_paths(staging, b)
        assert np.array_equal(np.load(keys_path), expected_keys[b])
        assert np.array_equal(np.load(windows_path), expected_windows[b])

    # Any grouping of the bands into tasks reduces to the same tables.
    again = root / "regrouped"
    make_staging(again)
    for group in band_groups(config.lsh.bands, 5):
        reduce_bands([str(p) for p in shards], group, config.lsh.rows, str(again))
    stack_bands(str(again), config.lsh.bands, len(signatures), again / "k.npy", again / "w.npy")
    assert (again / "k.npy").read_bytes() == (root / "single" / "band_keys.npy").read_bytes()
    assert (again / "w.npy").read_bytes() == (root / "single" / "band_windows.npy").read_bytes()


def test_pool_and_in_process_builds_are_the_same_index(sharded):
    root, _, pooled, single = sharded
    assert pooled["id"] == single["id"] and pooled["counts"] == single["counts"]
    for out in ("pooled", "single"):  # the staging directory leaves nothing in the index
        assert sorted(p.name for p in (root / out).iterdir()) == sorted(TABLES + (MANIFEST,))
    for table in ("windows.npy", "signatures.npy", "band_keys.npy", "band_windows.npy"):
        assert (root / "pooled" / table).read_bytes() == (root / "single" / table).read_bytes(), table


def test_band_groups_cover_every_band_once():
    for bands in (2, 7, 28):
        for tasks in (1, 2, 3, 28, 100):
            groups = band_groups(bands, tasks)
            assert [b for g in groups for b in g] == list(range(bands))
            assert len(groups) == min(bands, tasks) and all(g for g in groups)


def test_shard_dir_is_emptied_after_a_build_and_after_a_failure(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.py").write_text("".join(f"def f{k}(x, y):\n    return x * {k} + y - {k}\n" for k in range(60)))
    api.build_index([str(src)], tmp_path / "idx", workers=1, show_progress=False, scan_headers=False,
                    shard_dir=tmp_path / "shared")
    assert list((tmp_path / "shared").iterdir()) == []
    (src / "a.py").unlink()
    (src / "b.txt").write_text("not code")
    with pytest.raises(AuditorError):
        api.build_index([str(src)], tmp_path / "idx2", workers=1, show_progress=False, scan_headers=False,
                        shard_dir=tmp_path / "shared")
    assert list((tmp_path / "shared").iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx", "shared", "src"]


def test_a_missing_shard_is_one_clear_error(tmp_path):
    with pytest.raises(AuditorError, match="--shard-dir"):
        reduce_bands([str(tmp_path / "batch-000000.parquet")], [0], 2, str(tmp_path))
