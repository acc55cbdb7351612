"""Build an index: read sources, fingerprint and license each distinct blob in worker
processes (the map: each batch's windows and signatures go to a parquet shard file), reduce
the band tables per group of bands from the shards (:mod:`auditor.index.shards`), and write
the tables of :mod:`auditor.index.layout` into a temporary directory that replaces the target
only when everything succeeded."""
from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
import json
import multiprocessing
import os
from pathlib import Path
import shutil
import time
from typing import Iterable, Iterator

import numpy as np

from .. import __version__
from ..atomic import atomic_directory, building_dir
from ..config import IndexConfig
from ..corpus.evidence import tree_evidence_computed_by
from ..errors import AuditorError
from ..fingerprint import shingle_hashes, tokenize, window_signatures
from ..fingerprint.mode import for_bulk_work
from ..models import ResolvedLicense, SourceFile
from ..progress import progress_bar
from .integrity import record_verified
from .layout import ARRAYS, MANIFEST, SCHEMA, index_id, sha256_file
from .shards import (assemble, band_groups, make_staging, not_visible, reduce_bands, shard_path, stack_bands,
                     write_shard)
from .texts import TextTable

BATCH_FILES = 64
# Work queued ahead of the workers (see _run): at most this many batches or content bytes.
MAX_PENDING_BATCHES = 64
MAX_PENDING_BYTES = 64 * 2**20


@dataclass
class _FileResult:
    file_row: dict
    blob: int  # index of the blob, or -1 for a file whose content was seen before
    windows: int = 0  # windows of a new blob, written to its batch's shard file
    scan: dict | None = None  # a fresh ScanCode result of this content, to cache


@dataclass
class _BatchResult:
    """What a batch's worker sends back: the file rows, and where its windows and signatures are."""
    files: list[_FileResult]
    shard: str | None  # the batch's parquet file, None when the batch cut no window
    windows: int


@dataclass
class BuildStats:
    files: int = 0
    blobs: int = 0
    windows: int = 0
    bytes: int = 0
    duplicate_files: int = 0
    too_short: int = 0
    scan_cache_hits: int = 0  # blobs whose ScanCode results came from the cache
    seconds: float = 0.0
    by_source: dict = field(default_factory=dict)
    # Files and archive members the readers refused or capped, by reason ("symlink", "over size cap", ...).
    skipped: dict = field(default_factory=dict)

    def reading(self):
        """A :class:`~auditor.corpus.ReadStats` for one source whose skips are added to :attr:`skipped`."""
        from ..corpus.files import ReadStats

        return ReadStats(skipped=self.skipped)

    def summary(self) -> str:
        rate = self.files / self.seconds if self.seconds else 0.0
        mbs = self.bytes / 1e6 / self.seconds if self.seconds else 0.0
        line = (f"{self.files:,} files ({self.blobs:,} distinct, {self.duplicate_files:,} duplicates), "
                f"{self.windows:,} windows, {self.bytes / 1e6:.1f} MB in {self.seconds:.1f} s "
                f"({rate:,.0f} files/s, {mbs:.2f} MB/s)")
        if self.skipped:
            reasons = ", ".join(f"{n:,} {reason}" for reason, n in sorted(self.skipped.items()))
            line += f"; skipped {sum(self.skipped.values()):,} files: {reasons}"
        return line


def fingerprint(content: str, language: str | None, config: IndexConfig) -> tuple[np.ndarray, np.ndarray, int]:
    """Signatures of every window of one file, their (first char, end char) spans, and the token count."""
    fp = config.fingerprint
    toks = tokenize(content, language, normalize_identifiers=fp.normalize_identifiers,
                    normalize_literals=fp.normalize_literals)
    hashes = shingle_hashes(toks.norm_hashes, fp.shingle)
    sig, first = window_signatures(hashes, fp)
    if len(sig) == 0:
        return sig, np.empty((0, 2), dtype=np.uint32), len(toks)
    last_shingle = np.minimum(first + fp.window, len(hashes)) - 1
    last_token = np.minimum(last_shingle + fp.shingle - 1, len(toks) - 1)
    spans = np.stack([toks.starts[first], toks.ends[last_token]], axis=1).astype(np.uint32)
    return sig, spans, len(toks)


def _license_columns(lic: ResolvedLicense) -> dict:
    return {
        "license": lic.expression,
        "license_category": lic.category,
        "license_conflict": bool(lic.conflict),
        "license_evidence": json.dumps([{"expression": f.expression, "source": f.source, "detail": f.detail}
                                        for f in lic.findings]),
        "holders": list(lic.holders),
        "copyrights": list(lic.copyrights),
        # Replaced by text ids in the main process (TextTable.intern): the rows of a batch share
        # one str object per package text, so it crosses the process boundary once per batch.
        "license_text": lic.license_text,
        "notice_text": lic.notice_text,
    }


def _work(batch: list[tuple[SourceFile, int, dict | None]], config_dict: dict, scan_headers: bool,
          shard: str) -> _BatchResult:
    """Worker (the map): licence every file, fingerprint every new blob (``blob >= 0``), and
    write the batch's windows and signatures to the parquet file ``shard`` (atomically; not
    written when the batch cuts no window). Only the file rows travel back.

    Each item carries the cached ScanCode result of its content when there is one; a fresh
    result goes back to the main process, which caches it by blob sha1.
    """
    from ..licensing.resolve import BlobScan, resolve, scan_blob

    for_bulk_work()
    config = IndexConfig.from_dict(config_dict)
    out = []
    sigs: list[np.ndarray] = []
    wins: list[np.ndarray] = []
    for sf, blob, cached in batch:
        row = {
            "blob_id": sf.blob_id, "repo_name": sf.repo_name, "path": sf.path, "language": sf.language,
            "revision": sf.revision, "detected_licenses": list(sf.detected_licenses),
            "license_type": sf.license_type, "gha_license_id": sf.gha_license_id,
            "bytes": len(sf.content.encode("utf-8", "surrogateescape")),
        }
        fresh = None
        blob_scan = None
        if scan_headers:
            blob_scan = BlobScan.from_json(cached) if cached else scan_blob(sf.content)
            fresh = None if cached else blob_scan.to_json()
        row.update(_license_columns(resolve(sf, scan_header=scan_headers, blob_scan=blob_scan)))
        if blob < 0:
            out.append(_FileResult(row, blob, scan=fresh))
            continue
        sig, spans, ntok = fingerprint(sf.content, sf.language, config)
        row["tokens"] = ntok
        if len(sig):
            sigs.append(sig)
            w = np.empty((len(spans), 3), dtype=np.uint32)
            w[:, 0] = blob
            w[:, 1:] = spans
            wins.append(w)
        out.append(_FileResult(row, blob, len(sig), scan=fresh))
    if not sigs:
        return _BatchResult(out, None, 0)
    windows = np.concatenate(wins)
    write_shard(shard, windows, np.concatenate(sigs), config.lsh.bands, config.lsh.rows)
    return _BatchResult(out, shard, len(windows))


def _batches(files: Iterable[SourceFile], seen: dict[str, int], content_fh, offsets: list[int],
             ascii_prefix: list[int], stats: BuildStats, cache) -> Iterator[list[tuple[SourceFile, int, dict | None]]]:
    """Assign blob numbers in reading order, write new contents (and note how many of their first
    bytes are ASCII), attach cached scans, cut batches."""
    batch: list[tuple[SourceFile, int]] = []

    def with_scans(items):
        known = cache.get_many(list({sf.blob_id for sf, _ in items})) if cache is not None else {}
        return [(sf, blob, known[sf.blob_id].to_json() if sf.blob_id in known else None) for sf, blob in items]

    for sf in files:
        if sf.blob_id in seen:
            blob = -1
            stats.duplicate_files += 1
        else:
            blob = seen[sf.blob_id] = len(seen)
            data = sf.content.encode("utf-8", "surrogateescape")
            content_fh.write(data)
            offsets.append(offsets[-1] + len(data))
            ascii_prefix.append(len(data) if data.isascii() else int(np.argmax(np.frombuffer(data, np.uint8) >= 128)))
            stats.bytes += len(data)
        batch.append((sf, blob))
        if len(batch) >= BATCH_FILES:
            yield with_scans(batch)
            batch = []
    if batch:
        yield with_scans(batch)


def _call_now(fn, *args) -> Future:
    """``fn(*args)`` here and now, as a finished Future: the build's tasks when ``workers`` is 1."""
    future: Future = Future()
    future.set_result(fn(*args))
    return future


@contextmanager
def _executor(workers: int, scan_headers: bool, ray=None) -> Iterator:
    """A ``submit(fn, *args) -> Future`` for the build's tasks, the map's batches and the band
    reduces alike: here when ``workers`` is 1, else in a pool of local processes, or as Ray tasks
    when ``ray`` (a :class:`~auditor.pipeline.RayExecutor`) is given."""
    if workers <= 1 and ray is None:
        yield _call_now
        return
    ctx = multiprocessing.get_context("spawn")
    with ExitStack() as stack:
        if ray is not None:
            submit = ray.submit
            stack.callback(ray.cancel_unfinished)  # nothing left running when the build ends
        elif scan_headers and "fork" in multiprocessing.get_all_start_methods():
            # ScanCode's licence index takes 5-8 s and 1.4 GB to load. Loaded once here,
            # forked workers share its pages instead of each loading their own.
            from ..licensing.detection import scancode_cache

            scancode_cache()
            ctx = multiprocessing.get_context("fork")
            # A package's evidence (its LICENSE and DEP-5 files through ScanCode, up to
            # several seconds) is computed in a forked process of its own. The reading
            # below waits for it, and the workers go on meanwhile with the batches queued
            # before it: hence a deep queue, bounded by content bytes and batch count.
            evidence_pool = stack.enter_context(ProcessPoolExecutor(max_workers=1, mp_context=ctx))
            stack.enter_context(tree_evidence_computed_by(lambda fn, *a: evidence_pool.submit(fn, *a).result()))
        if ray is None:
            submit = stack.enter_context(ProcessPoolExecutor(max_workers=workers, mp_context=ctx)).submit
        yield submit


def _run(batches: Iterator[list], config: IndexConfig, submit, scan_headers: bool,
         staging: str) -> Iterator[_BatchResult]:
    """The map: each batch through ``_work`` on ``submit`` (see :func:`_executor`); batch ``k``
    writes its windows and signatures to ``shard_path(staging, k)``."""
    cfg = config.to_dict()
    # Results are taken in submission order, so the same sources always give the same
    # file and window numbering, hence the same index id.
    pending: deque = deque()
    pending_bytes = 0
    for k, b in enumerate(batches):
        size = sum(len(sf.content) for sf, _, _ in b)
        pending.append((submit(_work, b, cfg, scan_headers, shard_path(staging, k)), size))
        pending_bytes += size
        while pending and (len(pending) >= MAX_PENDING_BATCHES or pending_bytes >= MAX_PENDING_BYTES
                           or pending[0][0].done()):
            future, size = pending.popleft()
            pending_bytes -= size
            yield future.result()
    while pending:
        yield pending.popleft()[0].result()


@contextmanager
def _staging(tmp: Path, out: str | os.PathLike, shard_dir: str | os.PathLike | None, keep: bool) -> Iterator[str]:
    """The directory of the map's shard files and the reduced bands: inside the build's temporary
    directory, or, with ``shard_dir`` (storage every node of a Ray cluster mounts), a directory of
    this build's own under it. Removed when the build ends, failed or not; with ``keep`` a
    ``shard_dir`` staging directory stays after a build that succeeded."""
    if shard_dir is None:
        staging = tmp / "staging"
        staging.mkdir()
    else:
        staging = building_dir(Path(shard_dir) / Path(out).absolute().name)
    make_staging(staging)
    try:
        yield str(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if not (keep and shard_dir is not None):
        shutil.rmtree(staging, ignore_errors=True)


def build(sources: list[str], out: str | os.PathLike, config: IndexConfig | None = None, *,
          files: Iterable[SourceFile] | None = None, workers: int | None = None,
          scan_headers: bool = True, show_progress: bool = True, progress_total: int | None = None,
          ray=None, shard_dir: str | os.PathLike | None = None, keep_shards: bool = False
          ) -> tuple[dict, BuildStats]:
    """Build an index of ``sources`` (corpus specs) into ``out``. Returns (manifest, stats).

    ``files`` overrides reading the specs (the specs are then only recorded). The build is a map
    (each batch of files fingerprinted and licensed in a task that writes its windows and
    signatures to a parquet shard file) and a reduce (the band tables, one task per group of
    bands, and the other tables here, all in batch order); the tasks run here when ``workers``
    is 1, else in a pool of local processes, or on ``ray`` (a
    :class:`~auditor.pipeline.RayExecutor`): the index is the same bytes either way.
    The shard files go to a staging directory inside the build's temporary directory, or under
    ``shard_dir`` (on a Ray cluster of several nodes: storage every node mounts); it is removed
    at the end, unless ``keep_shards`` (with ``shard_dir``) after a successful build.
    """
    from ..corpus import describe_source, iter_source, validate_source

    config = config or IndexConfig()
    workers = workers if workers is not None else (os.cpu_count() or 1)
    for_bulk_work()  # here first: workers started after it find the kernels compiled in numba's cache
    stats = BuildStats()
    if files is None:
        if not sources:
            raise AuditorError("nothing to index: give at least one SOURCE")
        for spec in sources:
            validate_source(spec)
        files = (sf for spec in sources for sf in iter_source(spec, stats=stats.reading()))
        described = [describe_source(s) for s in sources]
    else:
        described = [{"spec": s, "kind": "given"} for s in sources]
    t0 = time.perf_counter()
    with atomic_directory(out) as tmp:
        rows: list[dict] = []
        shards: list[str] = []  # the batches' parquet files, in batch order: it numbers the windows
        n_windows = 0
        seen: dict[str, int] = {}
        offsets = [0]
        ascii_prefix: list[int] = []
        texts = TextTable()
        cache = _open_scan_cache() if scan_headers else None
        with _staging(tmp, out, shard_dir, keep_shards) as staging, \
                _executor(workers, scan_headers, ray) as submit:
            # The map: batches fingerprinted (and licensed) in tasks, each writing a shard file.
            with open(tmp / "content.bin", "wb") as content_fh, \
                    progress_bar("indexing", total=progress_total, enabled=show_progress) as bar:
                for batch in _run(_batches(files, seen, content_fh, offsets, ascii_prefix, stats, cache), config, submit,
                                  scan_headers, staging):
                    results = batch.files
                    if cache is not None:
                        cache.put_many({r.file_row["blob_id"]: _blob_scan(r.scan) for r in results if r.scan})
                    if batch.shard is not None:
                        if not os.path.isfile(batch.shard):
                            raise not_visible(f"shard file {batch.shard} written by a worker")
                        shards.append(batch.shard)
                        n_windows += batch.windows
                    for r in results:
                        r.file_row["file_id"] = len(rows)
                        texts.intern(r.file_row)
                        rows.append(r.file_row)
                        if r.blob >= 0 and not r.windows:
                            stats.too_short += 1
                        bar.advance(1, r.file_row["bytes"] if r.blob >= 0 else 0)
            stats.files, stats.blobs = len(rows), len(seen)
            if cache is not None:
                stats.scan_cache_hits = cache.hits
                cache.close()
            if not rows:
                raise AuditorError("the sources hold no source files to index")
            stats.windows = n_windows
            # The reduce: each group of band tables in a task of its own, which reads only its bands'
            # signature columns of the shards; meanwhile the windows and signatures tables are
            # assembled here from the shards in batch order, one shard in memory at a time.
            bands = config.lsh.bands
            # One group per worker (no more groups than shards: a tiny build starts no extra worker).
            groups = band_groups(bands, 1 if submit is _call_now else min(workers, max(1, len(shards))))
            reduced = [submit(reduce_bands, shards, group, config.lsh.rows, staging) for group in groups]
            assemble(shards, n_windows, config.fingerprint.num_perm, tmp / "windows.npy", tmp / "signatures.npy")
            for future in reduced:
                future.result()
            stack_bands(staging, bands, n_windows, tmp / "band_keys.npy", tmp / "band_windows.npy")
        file_blob = np.array([seen[r["blob_id"]] for r in rows], dtype=np.int64)
        blob_files = np.argsort(file_blob, kind="stable").astype(np.uint32)
        blob_file_offsets = np.searchsorted(file_blob[blob_files], np.arange(len(seen) + 1)).astype(np.uint32)
        languages, blob_languages = _blob_languages(rows, blob_files, blob_file_offsets)
        arrays = {  # windows, signatures, band_keys and band_windows: written by the reduce above
            "blob_ids": np.array(sorted(seen, key=seen.get), dtype="S40"),
            "content_offsets": np.array(offsets, dtype=np.uint64),
            "blob_ascii": np.array(ascii_prefix, dtype=np.uint64),
            "blob_languages": blob_languages,
            "files_offsets": _write_files_jsonl(tmp / "files.jsonl", rows, seen),
            "blob_files": blob_files,
            "blob_file_offsets": blob_file_offsets,
            "texts_offsets": texts.write(tmp / "texts.jsonl"),
        }
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", array, allow_pickle=False)
        missing = [name for name in ARRAYS if not (tmp / f"{name}.npy").is_file()]
        if missing:
            raise AuditorError(f"internal error: the build wrote no {', '.join(missing)}")
        _write_files_table(tmp / "files.parquet", rows, seen)
        stats.seconds = time.perf_counter() - t0
        manifest = _manifest(tmp, config, described, stats, languages)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        record_verified(tmp, manifest)  # its digests were just computed: the first open need not redo them
    return manifest, stats


def _open_scan_cache():
    from ..licensing.scan_cache import ScanCache

    try:
        return ScanCache()
    except Exception:  # an unwritable cache dir costs speed, never the build
        return None


def _blob_scan(d: dict):
    from ..licensing.resolve import BlobScan

    return BlobScan.from_json(d)


def _blob_languages(rows: list[dict], blob_files: np.ndarray, blob_file_offsets: np.ndarray):
    """(the languages named, sorted; each blob's first file row's language as a position in that
    list, -1 for none, -2 for a blob without file rows)."""
    first = [rows[int(blob_files[lo])].get("language") if hi > lo else False
             for lo, hi in zip(blob_file_offsets[:-1].tolist(), blob_file_offsets[1:].tolist())]
    names = sorted({lang for lang in first if isinstance(lang, str)})
    code = {name: k for k, name in enumerate(names)}
    return names, np.array([-2 if lang is False else code.get(lang, -1) for lang in first], dtype=np.int32)


def _write_files_jsonl(path: Path, rows: list[dict], seen: dict[str, int]) -> np.ndarray:
    offsets = [0]
    with open(path, "wb") as fh:
        for r in rows:
            line = json.dumps({**r, "blob": seen[r["blob_id"]]}, ensure_ascii=False).encode("utf-8", "surrogateescape") + b"\n"
            fh.write(line)
            offsets.append(offsets[-1] + len(line))
    return np.array(offsets, dtype=np.uint64)


def _write_files_table(path: Path, rows: list[dict], seen: dict[str, int]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    for r in rows:
        r["blob"] = seen[r["blob_id"]]
        r.setdefault("tokens", None)
    schema = pa.schema([
        ("file_id", pa.int64()), ("blob", pa.int64()), ("blob_id", pa.string()), ("repo_name", pa.string()),
        ("path", pa.string()), ("language", pa.string()), ("revision", pa.string()), ("bytes", pa.int64()),
        ("tokens", pa.int64()), ("license", pa.string()), ("license_category", pa.string()),
        ("license_conflict", pa.bool_()), ("license_evidence", pa.string()),
        ("holders", pa.list_(pa.string())), ("copyrights", pa.list_(pa.string())),
        ("detected_licenses", pa.list_(pa.string())), ("license_type", pa.string()),
        ("gha_license_id", pa.string()), ("license_text_id", pa.int64()), ("notice_text_id", pa.int64()),
    ])
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, path, compression="zstd")


def _manifest(directory: Path, config: IndexConfig, sources: list[dict], stats: BuildStats,
              languages: list[str]) -> dict:
    tables = {}
    for p in sorted(directory.iterdir()):
        if p.name != MANIFEST:
            tables[p.name] = {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
    return {
        "schema": SCHEMA,
        "id": index_id(tables),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "tool": {"name": "auditor", "version": __version__},
        "config": config.to_dict(),
        "sources": sources,
        "counts": {"files": stats.files, "blobs": stats.blobs, "windows": stats.windows, "bytes": stats.bytes,
                   "duplicate_files": stats.duplicate_files, "too_short": stats.too_short,
                   "scan_cache_hits": stats.scan_cache_hits, "skipped": dict(sorted(stats.skipped.items()))},
        "build_seconds": round(stats.seconds, 2),
        "languages": languages,
        "tables": tables,
    }
