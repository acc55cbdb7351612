"""The sharded build's intermediate files, and the reduce that turns them into index tables.

Map: each batch's worker writes the windows it cut and their MinHash signatures to one parquet
file, ``STAGING/shards/batch-NNNNNN.parquet`` (NNNNNN: the batch's number in reading order):

    blob, first, end     uint32                  the window's blob number, first char and end char
    hLLLL_HHHH           fixed_size_binary(4*k)  signatures[:, LLLL:HHHH], little-endian uint32:
                                                 one column per LSH band (k = rows), then one
                                                 for the permutations no band uses

Signatures are fixed-size binary: bytes that parquet neither converts nor interprets, written
and read with an explicit byte order, so they round-trip bit for bit, and read back as a numpy
view of the column's buffer (no per-value decoding, unlike a list column). They are split by band
so that a band's reduce reads only its own column (parquet reads a column on its own): with 28
bands of 2 rows a band needs 8 of a signature's 512 bytes.

Reduce: the windows and signatures tables are the shards' rows in batch order, so window ``i``
of the index is the ``i``-th row over the shards in that order. Each band table is reduced on its
own (:func:`reduce_bands`, a task: in-process, in the local pool or on Ray): that band's keys
(:func:`~auditor.fingerprint.minhash.band_key`), sorted stably, written with their window ids to
``STAGING/bands/``; the driver stacks the bands into ``band_keys.npy``/``band_windows.npy``.
The result is byte for byte the tables of ``band_keys`` + a stable argsort of all signatures.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
import os
import re

import numpy as np

from ..atomic import atomic_file
from ..errors import AuditorError
from ..fingerprint.minhash import band_key

SHARDS = "shards"
BANDS = "bands"
WINDOW_COLUMNS = ("blob", "first", "end")
_LE_U32 = np.dtype("<u4")
_SIG_COLUMN = re.compile(r"^h(\d{4})_(\d{4})$")


def shard_path(staging: str | os.PathLike, batch: int) -> str:
    return os.path.join(os.fspath(staging), SHARDS, f"batch-{batch:06d}.parquet")


def band_paths(staging: str | os.PathLike, band: int) -> tuple[str, str]:
    """Where band ``band``'s sorted keys and their window ids are written."""
    base = os.path.join(os.fspath(staging), BANDS, f"band-{band:03d}")
    return base + ".keys.npy", base + ".windows.npy"


def make_staging(staging: str | os.PathLike) -> None:
    for sub in (SHARDS, BANDS):
        os.makedirs(os.path.join(os.fspath(staging), sub), exist_ok=True)


def _column(lo: int, hi: int) -> str:
    return f"h{lo:04d}_{hi:04d}"


def _spans(num_perm: int, bands: int, rows: int) -> list[tuple[int, int]]:
    spans = [(b * rows, (b + 1) * rows) for b in range(bands)]
    return spans + [(bands * rows, num_perm)] if bands * rows < num_perm else spans


def not_visible(what: str) -> AuditorError:
    """The error for a staging file or directory one process of a build cannot see."""
    import socket

    return AuditorError(f"{what} is not visible on {socket.gethostname()}: on a cluster of several nodes "
                        "give --shard-dir on a file system every node mounts")


def _check_visible(path: str) -> None:
    """A task writes only into the staging directory the driver made: on a Ray node that does not
    mount it, say so instead of writing where the driver will never look."""
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        raise not_visible(f"the build's staging directory {parent}")


def write_shard(path: str, windows: np.ndarray, signatures: np.ndarray, bands: int, rows: int) -> None:
    """Write one batch's ``(n, 3)`` windows and ``(n, num_perm)`` signatures, atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    _check_visible(path)
    n, num_perm = signatures.shape
    columns = {name: pa.array(np.ascontiguousarray(windows[:, k], dtype=np.uint32))
               for k, name in enumerate(WINDOW_COLUMNS)}
    for lo, hi in _spans(num_perm, bands, rows):
        data = np.ascontiguousarray(signatures[:, lo:hi], dtype=_LE_U32)
        columns[_column(lo, hi)] = pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(4 * (hi - lo)), n, [None, pa.py_buffer(data)])
    with atomic_file(path, "wb") as fh:
        # MinHash values are uniform 32-bit numbers: no compression, dictionary or statistics
        # can do anything for them but cost time. The blob column repeats, and compresses well.
        pq.write_table(pa.table(columns), fh, compression={c: "zstd" for c in WINDOW_COLUMNS},
                       use_dictionary=["blob"], write_statistics=list(WINDOW_COLUMNS))


def _read(path: str, columns: list[str] | None):
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path, columns=columns, use_threads=False)
    except FileNotFoundError:
        raise not_visible(f"shard file {path}") from None


def _u32(table, name: str) -> np.ndarray:
    """A uint32 column, or a fixed-size binary column of little-endian uint32, as an (n, k) array."""
    import pyarrow as pa

    col = table.column(name).combine_chunks()
    if col.null_count:
        raise AuditorError(f"shard column {name} has nulls")
    if pa.types.is_uint32(col.type):
        return col.to_numpy(zero_copy_only=False).reshape(-1, 1)
    if not pa.types.is_fixed_size_binary(col.type) or col.type.byte_width % 4:
        raise AuditorError(f"shard column {name} is {col.type}, not uint32 values")
    k = col.type.byte_width // 4
    values = np.frombuffer(col.buffers()[1], dtype=_LE_U32, count=len(col) * k, offset=col.offset * 4 * k)
    return values.reshape(len(col), k).astype(np.uint32, copy=False)


def read_band_columns(path: str, bands: Sequence[int], rows: int) -> np.ndarray:
    """``signatures[:, b * rows:(b + 1) * rows]`` of each band ``b`` of ``bands``, side by side,
    reading only those bands' columns of one shard."""
    names = [_column(b * rows, (b + 1) * rows) for b in bands]
    table = _read(path, names)
    if not names:
        return np.empty((table.num_rows, 0), dtype=np.uint32)
    return np.hstack([_u32(table, name) for name in names])


def read_shard(path: str) -> tuple[np.ndarray, np.ndarray]:
    """The ``(n, 3)`` uint32 windows and ``(n, num_perm)`` uint32 signatures of one shard."""
    table = _read(path, None)
    spans = sorted((int(m[1]), int(m[2]), name) for name in table.column_names if (m := _SIG_COLUMN.match(name)))
    if not spans or spans[0][0] != 0 or any(a[1] != b[0] for a, b in zip(spans, spans[1:])):
        raise AuditorError(f"shard {path} does not hold whole signatures")
    windows = np.hstack([_u32(table, name) for name in WINDOW_COLUMNS])
    return windows, np.hstack([_u32(table, name) for _, _, name in spans])


def reduce_bands(shards: Sequence[str], bands: Sequence[int], rows: int, staging: str) -> list[int]:
    """Task: the tables of ``bands``. Reads those bands' signature columns of every shard (in the
    order given, which numbers the windows), computes each band's keys, sorts them stably and
    writes the sorted keys and their window ids (:func:`band_paths`). Returns ``bands``."""
    parts = [read_band_columns(p, bands, rows) for p in shards]
    sig = np.concatenate(parts) if parts else np.empty((0, len(bands) * rows), dtype=np.uint32)
    del parts
    for k, b in enumerate(bands):
        keys = band_key(sig[:, k * rows:(k + 1) * rows], b)
        order = np.argsort(keys, kind="stable")
        keys_path, windows_path = band_paths(staging, b)
        _check_visible(keys_path)
        with atomic_file(keys_path, "wb") as fh:
            np.save(fh, keys[order], allow_pickle=False)
        del keys
        with atomic_file(windows_path, "wb") as fh:
            np.save(fh, order.astype(np.uint32), allow_pickle=False)
        del order
    return list(bands)


def band_groups(bands: int, tasks: int) -> list[list[int]]:
    """``bands`` split into at most ``tasks`` contiguous groups of near-equal size."""
    tasks = max(1, min(bands, tasks))
    return [list(g) for g in np.array_split(np.arange(bands), tasks) if len(g)]


def _npy_header(fh, dtype, shape: tuple[int, ...]) -> None:
    """The header ``np.save`` writes for a C-ordered array of ``dtype`` and ``shape``."""
    np.lib.format.write_array_header_1_0(
        fh, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape})


def write_npy(path: str | os.PathLike, dtype, shape: tuple[int, ...], parts: Iterable[np.ndarray]) -> None:
    """Write the ``.npy`` file ``np.save`` would write for the concatenation of ``parts`` (C order
    along the first axis), holding one part at a time."""
    dtype = np.dtype(dtype)
    expected = int(np.prod(shape)) * dtype.itemsize
    written = 0
    with open(path, "wb") as fh:
        _npy_header(fh, dtype, shape)
        for part in parts:
            data = np.ascontiguousarray(part, dtype=dtype)
            fh.write(data.data)
            written += data.nbytes
    if written != expected:
        raise AuditorError(f"{path}: the shards held {written} bytes, {expected} were expected")


def assemble(shards: Sequence[str], n_windows: int, num_perm: int, windows_path, signatures_path) -> None:
    """Write ``windows.npy`` and ``signatures.npy`` from the shards in batch order, one shard in memory."""
    with open(windows_path, "wb") as wfh, open(signatures_path, "wb") as sfh:
        _npy_header(wfh, np.uint32, (n_windows, 3))
        _npy_header(sfh, np.uint32, (n_windows, num_perm))
        written = 0
        for p in shards:
            win, sig = read_shard(p)
            if sig.shape[1] != num_perm:
                raise AuditorError(f"shard {p} holds signatures of {sig.shape[1]} permutations, not {num_perm}")
            wfh.write(win.data)
            sfh.write(sig.data)
            written += len(win)
    if written != n_windows:
        raise AuditorError(f"the shards held {written} windows, {n_windows} were expected")


def stack_bands(staging: str, bands: int, n_windows: int, keys_path, windows_path) -> None:
    """``band_keys.npy`` and ``band_windows.npy``: the reduced bands, one row each, in band order."""
    def rows(k: int):
        for b in range(bands):
            part = np.load(band_paths(staging, b)[k], mmap_mode=None, allow_pickle=False)
            if part.shape != (n_windows,):
                raise AuditorError(f"band {b} has {part.shape[0]} windows, {n_windows} were expected")
            yield part

    write_npy(keys_path, np.uint64, (bands, n_windows), rows(0))
    write_npy(windows_path, np.uint32, (bands, n_windows), rows(1))
