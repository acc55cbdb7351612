"""How to store a build shard's signatures in parquet: the layout auditor writes (fixed-size binary,
one column per LSH band, ``auditor.index.shards``) against one fixed-size list column, one
fixed-size binary column, and one uint32 column per permutation, all uncompressed; then
auditor's own functions, which also write the window columns and fsync. Times to write a shard, read
it back whole, and read one band's columns; every layout must round-trip bit for bit.

    .venv/bin/python benchmarks/shard_format.py     # a few seconds; prints a Markdown table
"""
from __future__ import annotations

import os
import tempfile
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from auditor.config import IndexConfig
from auditor.index.shards import read_band_columns, read_shard, write_shard

N = 6000  # windows in a batch of 64 files, about (1.58 M windows in 266 batches of the stdlib)


def _ms(fn, k: int = 20):
    fn()  # warm: the first call of a kind pays for imports and allocations
    t0 = time.perf_counter()
    for _ in range(k):
        out = fn()
    return (time.perf_counter() - t0) / k * 1000, out


def main() -> None:
    lsh, num_perm = IndexConfig().lsh, IndexConfig().fingerprint.num_perm
    rng = np.random.default_rng(0)
    sig = rng.integers(0, 2**32, size=(N, num_perm), dtype=np.uint32)
    win = np.zeros((N, 3), dtype=np.uint32)
    d = tempfile.mkdtemp()
    path = os.path.join(d, "s.parquet")
    plain = {"compression": "none", "use_dictionary": False}

    spans = [(b * lsh.rows, (b + 1) * lsh.rows) for b in range(lsh.bands)] + [(lsh.bands * lsh.rows, num_perm)]

    def per_band():  # the layout of auditor.index.shards, without its window columns and fsync
        cols = {}
        for lo, hi in spans:
            part = np.ascontiguousarray(sig[:, lo:hi], dtype="<u4")
            cols[f"h{lo:04d}_{hi:04d}"] = pa.FixedSizeBinaryArray.from_buffers(pa.binary(4 * (hi - lo)), N,
                                                                               [None, pa.py_buffer(part)])
        pq.write_table(pa.table(cols), path, write_statistics=False, **plain)

    def read_per_band(cols=None):
        t = pq.read_table(path, columns=cols, use_threads=False)
        return np.hstack([np.frombuffer(c.combine_chunks().buffers()[1], "<u4").reshape(N, -1) for c in t.columns])

    def ours():
        write_shard(path, win, sig, lsh.bands, lsh.rows)

    def fsl():
        pq.write_table(pa.table({"sig": pa.FixedSizeListArray.from_arrays(pa.array(sig.ravel()), num_perm)}),
                       path, **plain)

    def fsb():
        arr = pa.FixedSizeBinaryArray.from_buffers(pa.binary(4 * num_perm), N, [None, pa.py_buffer(sig.astype("<u4"))])
        pq.write_table(pa.table({"sig": arr}), path, **plain)

    def per_perm():
        pq.write_table(pa.table({f"h{j:04d}": pa.array(np.ascontiguousarray(sig[:, j])) for j in range(num_perm)}),
                       path, **plain)

    def read_fsl(cols=None):
        return pq.read_table(path, use_threads=False).column(0).combine_chunks().flatten().to_numpy().reshape(N, -1)

    def read_fsb(cols=None):
        col = pq.read_table(path, use_threads=False).column(0).combine_chunks()
        return np.frombuffer(col.buffers()[1], "<u4").reshape(N, -1)

    def read_per_perm(cols=None):
        t = pq.read_table(path, columns=cols, use_threads=False)
        return np.column_stack([c.to_numpy() for c in t.columns])

    layouts = [
        ("fixed-size binary, one column per band", per_band, read_per_band,
         lambda: read_per_band([f"h0000_{lsh.rows:04d}"])),
        ("one fixed-size list<uint32> column", fsl, read_fsl, read_fsl),
        ("one fixed-size binary column", fsb, read_fsb, read_fsb),
        ("one uint32 column per permutation", per_perm, read_per_perm,
         lambda: read_per_perm([f"h{j:04d}" for j in range(lsh.rows)])),
        ("auditor's write_shard / read_shard / read_band_columns (+ window columns, fsync)", ours,
         lambda: read_shard(path)[1], lambda: read_band_columns(path, [0], lsh.rows)),
    ]
    print(f"{N:,} windows x {num_perm} permutations, {lsh.bands} bands x {lsh.rows} rows\n")
    print("| layout | write ms | read all ms | read one band ms | MB | exact |\n|---|---|---|---|---|---|")
    for name, write, read_all, read_band in layouts:
        w, _ = _ms(write)
        r, back = _ms(read_all)
        b, _ = _ms(read_band)
        print(f"| {name} | {w:.1f} | {r:.1f} | {b:.1f} | {os.path.getsize(path) / 1e6:.2f} | "
              f"{np.array_equal(back, sig)} |")


if __name__ == "__main__":
    main()
