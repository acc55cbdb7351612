"""Open an index by mmap and look up LSH candidates.

Nothing here imports ScanCode, ``datasets``, datasketch or pyarrow: file rows are read one
by one from ``files.jsonl`` at the offsets of ``files_offsets.npy``.
"""
from __future__ import annotations

from dataclasses import dataclass
import json
import mmap
import os
from pathlib import Path

import numpy as np

from ..config import IndexConfig
from ..errors import AuditorError
from ..fingerprint import band_keys
from ..fingerprint.mode import compiled_in_use
from .integrity import ensure_verified
from .layout import ARRAYS, read_manifest

# A band key shared by more windows than this is boilerplate (a run of getters, an
# import block): it says nothing about origin, and following it costs time.
MAX_POSTINGS = 1000
# At most this many (query window, index window) pairs are scored from their signatures.
MAX_PAIRS = 20000


@dataclass(frozen=True)
class Candidate:
    blob: int
    score: float  # estimated containment of the best query window in a window of this blob
    best_window: int  # the window that holds the most of a query window
    windows: tuple[int, ...]  # window ids of this blob that collided


class Index:
    def __init__(self, directory: str | os.PathLike, verify: bool = True, announce=None):
        """``verify``: check every table against the sha256 in the manifest, once per state of
        the files (:mod:`auditor.index.integrity`); ``announce()`` is called before such a check."""
        self.path = Path(directory)
        self._files_fh = self._texts_fh = None
        # A rebuild swaps the whole directory in one step; a reader that opened some tables
        # before the swap and some after would mix two indexes. Every table is opened here,
        # and the manifest read again: the same id means one index was opened, whole.
        for _ in range(5):
            try:
                self._open()
            except AuditorError:
                if self.manifest and _manifest_id(self.path) != self.manifest.get("id"):
                    continue  # swapped under us: the tables disagreed because they came from two indexes
                raise
            if _manifest_id(self.path) != self.manifest.get("id"):
                continue
            if verify:
                try:
                    ensure_verified(self.path, self.manifest, announce)
                except AuditorError:
                    if _manifest_id(self.path) != self.manifest.get("id"):
                        continue  # the tables read were the next index's
                    raise
            break
        else:
            raise AuditorError(f"index {self.path} kept changing while it was being opened (a rebuild?): try again")
        self._description = None
        self._blob_lookup = None

    def _open(self) -> None:
        self.close()
        self.manifest = {}
        self.manifest, self._manifest_sha256 = read_manifest(self.path, with_sha256=True)
        self.config = IndexConfig.from_dict(self.manifest.get("config", {}))
        self._language_names = language_names(self.manifest, self.path)
        try:
            for name in ARRAYS:
                setattr(self, name, np.load(self.path / f"{name}.npy", mmap_mode="r", allow_pickle=False))
        except (ValueError, OSError, EOFError) as e:
            raise AuditorError(f"corrupt index {self.path}: cannot read {name}.npy ({e.__class__.__name__})") from None
        self._check_shapes()
        size = (self.path / "content.bin").stat().st_size
        self._content = np.memmap(self.path / "content.bin", dtype=np.uint8, mode="r") if size else np.empty(0, np.uint8)
        for arr in (*(getattr(self, a) for a in ARRAYS), self._content):
            _random_access(arr)
        # Plain ndarray views of the same mapped pages: np.memmap's own __getitem__ costs a
        # microsecond per element read, and a query reads window rows one at a time.
        for name in ARRAYS:
            setattr(self, name, getattr(self, name).view(np.ndarray))
        self._content = self._content.view(np.ndarray)
        self._band_windows_flat = self.band_windows.reshape(-1)
        self._init_caches()
        self._files_fh = open(self.path / "files.jsonl", "rb")
        self._texts_fh = open(self.path / "texts.jsonl", "rb")

    def close(self) -> None:
        for fh in (self._files_fh, self._texts_fh):
            if fh is not None:
                fh.close()
        self._files_fh = self._texts_fh = None

    def _check_shapes(self) -> None:
        n_w = len(self.windows)
        bands, num_perm = self.config.lsh.bands, self.config.fingerprint.num_perm
        problems = []
        if self.windows.ndim != 2 or self.windows.shape[1] != 3:
            problems.append("windows")
        if self.signatures.shape != (n_w, num_perm):
            problems.append("signatures")
        if self.band_keys.shape != (bands, n_w) or self.band_windows.shape != (bands, n_w):
            problems.append("band tables")
        n_files = self.manifest.get("counts", {}).get("files")
        if len(self.files_offsets) != (n_files or 0) + 1 or len(self.blob_files) != n_files \
                or len(self.blob_file_offsets) != len(self.blob_ids) + 1:
            problems.append("file tables")
        elif int(self.files_offsets[-1]) != (self.path / "files.jsonl").stat().st_size:
            problems.append("files.jsonl size")
        if len(self.texts_offsets) < 1 or int(self.texts_offsets[-1]) != (self.path / "texts.jsonl").stat().st_size:
            problems.append("texts.jsonl size")
        if len(self.blob_ascii) != len(self.blob_ids) or len(self.blob_languages) != len(self.blob_ids):
            problems.append("blob tables")
        if len(self.content_offsets) != len(self.blob_ids) + 1:
            problems.append("content offsets")
        elif len(self.content_offsets) and int(self.content_offsets[-1]) != (self.path / "content.bin").stat().st_size:
            problems.append("content.bin size")
        counts = self.manifest.get("counts", {})
        if counts.get("windows") != n_w or counts.get("blobs") != len(self.blob_ids):
            problems.append("manifest counts")
        if problems:
            raise AuditorError(f"corrupt index {self.path}: {', '.join(problems)} disagree with the manifest; rebuild it")

    def _init_caches(self) -> None:
        """What queries remember of the index, capped (see where it is filled)."""
        self._rows: dict[int, dict] = {}  # file id -> its parsed row

    # -- identity ---------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.manifest["id"]

    @property
    def location(self) -> str:
        """Where the index is, as reports name it."""
        return str(self.path.resolve())

    def describe(self) -> dict:
        """What a report says of the index it was traced against (computed once per open)."""
        if self._description is None:
            counts = self.manifest.get("counts", {})
            self._description = {
                "id": self.id, "path": self.location, "manifest_sha256": self._manifest_sha256,
                "config": self.config.tag, "files": counts.get("files"), "windows": counts.get("windows"),
                "sources": [s.get("spec") for s in self.manifest.get("sources", [])]}
        return dict(self._description)

    def check_config(self, config: IndexConfig) -> None:
        if config.tag != self.config.tag:
            raise AuditorError(f"index {self.path} was built with {self.config.tag}, not {config.tag}: "
                               "query with the index's own parameters or rebuild it")

    # -- contents ---------------------------------------------------------------------
    def blob_text(self, blob: int, chars: int | None = None) -> str:
        """The blob's text; with ``chars``, a prefix holding at least its first ``chars``
        characters (a UTF-8 character is at most 4 bytes), for reading a window near the start
        of a long file without decoding all of it."""
        a, b = int(self.content_offsets[blob]), int(self.content_offsets[blob + 1])
        if chars is not None:
            b = min(b, a + 4 * chars)
        return self._content_bytes(a, b).decode("utf-8", "surrogateescape")

    def _content_bytes(self, a: int, b: int) -> bytes:
        return self._content[a:b].tobytes()

    def window_text(self, blob: int, start: int, end: int) -> str:
        """``blob_text(blob)[start:end]`` (``end`` -1: to the end of the blob). When the blob's
        first ``end`` bytes are ASCII (``blob_ascii``) they are its first ``end`` characters, and
        only the window's bytes are decoded; re-ranking reads a window of each of ~150 candidates per query, many
        of them far into long files."""
        if 0 <= end <= int(self.blob_ascii[blob]):
            a = int(self.content_offsets[blob])
            return self._content_bytes(a + start, a + end).decode("ascii")
        return self.blob_text(blob, None if end < 0 else end)[start: end if end >= 0 else None]

    def window_spans(self, blobs: np.ndarray, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``region(blob, (w,), w, 0)`` for many (blob, window) pairs at once: each window's char
        span, from 0 when it is its blob's first window and to the end (-1) when it is the last."""
        w = np.asarray(windows, dtype=np.int64)
        n = len(self.windows)
        prev_same = (w > 0) & (self.windows[np.maximum(w - 1, 0), 0] == blobs)
        next_same = (w + 1 < n) & (self.windows[np.minimum(w + 1, n - 1), 0] == blobs)
        starts = np.where(prev_same, self.windows[w, 1].astype(np.int64), 0)
        ends = np.where(next_same, self.windows[w, 2].astype(np.int64), -1)
        return starts, ends

    def ascii_windows(self, blobs: np.ndarray, starts: np.ndarray, ends: np.ndarray):
        """(content bytes, byte starts, byte ends, which) for the windows (char spans of
        :meth:`window_spans`) that lie in an ASCII prefix of their blob, where chars are bytes
        and the window can be lexed in place; None when the content is not mapped here."""
        a = self.content_offsets[blobs].astype(np.int64)
        stop = np.where(ends < 0, self.content_offsets[blobs + 1].astype(np.int64) - a, ends)
        which = stop <= self.blob_ascii[blobs].astype(np.int64)  # the ASCII prefix holds the whole window
        return self._content, a + starts, a + stop, which

    def blob_id(self, blob: int) -> str:
        return self.blob_ids[blob].decode("ascii")

    def files_of(self, blob: int) -> list[dict]:
        """Every file (repo, path, licence, ...) whose content is this blob."""
        lo, hi = int(self.blob_file_offsets[blob]), int(self.blob_file_offsets[blob + 1])
        return [self.file_row(int(f)) for f in self.blob_files[lo:hi]]

    def first_file_of(self, blob: int) -> dict | None:
        """The first file row of a blob (as :meth:`files_of` lists them), or None: one JSON row
        read instead of all of them."""
        lo, hi = int(self.blob_file_offsets[blob]), int(self.blob_file_offsets[blob + 1])
        return self.file_row(int(self.blob_files[lo])) if hi > lo else None

    def blob_language(self, blob: int) -> tuple[bool, str | None]:
        """(whether any file row holds the blob, the language of the first one): re-ranking asks
        it of every LSH candidate of every query, so the index keeps it per blob."""
        code = int(self.blob_languages[blob])
        if code >= 0:
            if code >= len(self._language_names):
                raise AuditorError(f"corrupt index {self.path}: blob {blob} has language {code}, the manifest "
                                   f"names {len(self._language_names)}; rebuild it")
            return True, self._language_names[code]
        return code == -1, None

    def file_row(self, file_id: int) -> dict:
        """A file's row (repo, path, licence, ...). Rows are remembered once read (a copy is
        handed out): the same popular files are candidates of query after query."""
        row = self._rows.get(file_id)
        if row is None:
            if len(self._rows) >= 10_000:
                self._rows.clear()
            row = self._rows[file_id] = self._read_file_row(file_id)
        return dict(row)

    def _read_file_row(self, file_id: int) -> dict:
        a, b = int(self.files_offsets[file_id]), int(self.files_offsets[file_id + 1])
        self._files_fh.seek(a)
        try:
            return json.loads(self._files_fh.read(b - a))
        except (ValueError, UnicodeDecodeError):
            raise AuditorError(f"corrupt index {self.path}: files.jsonl row {file_id} unreadable; rebuild it") from None

    def text(self, text_id: int | None) -> str | None:
        """A licence or NOTICE text by the id a file row holds; None for -1 (no text)."""
        if text_id is None or text_id < 0:
            return None
        if text_id + 1 >= len(self.texts_offsets):
            raise AuditorError(f"corrupt index {self.path}: text {text_id} is not in texts.jsonl; rebuild it")
        a, b = int(self.texts_offsets[text_id]), int(self.texts_offsets[text_id + 1])
        self._texts_fh.seek(a)
        try:
            return json.loads(self._texts_fh.read(b - a))["text"]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise AuditorError(f"corrupt index {self.path}: texts.jsonl line {text_id} unreadable; rebuild it") from None

    # -- LSH --------------------------------------------------------------------------
    def candidates(self, signatures: np.ndarray, query_sizes: np.ndarray, limit: int,
                   min_containment: float = 0.2, relative_floor: float = 0.6) -> list[Candidate]:
        """Blobs whose windows share an LSH band with a query signature, best first.

        ``query_sizes``: shingles in each query window. A candidate's score is the
        estimated containment of the best query window in one of its windows.
        """
        window_ids, query_ids, jac = self.colliding_windows(signatures)
        if not len(window_ids):
            return []
        # The estimated Jaccard of each colliding (query window, index window) pair, turned into
        # containment of the query window in the index window, since a pasted snippet is
        # usually shorter than the window it sits in.
        q_size = query_sizes[query_ids]
        w_size = float(self.config.fingerprint.window)
        containment = np.minimum(1.0, jac * (q_size + w_size) / ((1.0 + jac) * q_size))
        keep = containment >= min_containment
        if not keep.any():
            return []
        blobs = np.asarray(self.windows[window_ids[keep], 0], dtype=np.int64)
        wins, conts = window_ids[keep], containment[keep]
        # by blob: its best (containment, then window) and all its windows in ascending order
        group_blob, best, best_win, first, last, ascending = _group_by_blob(blobs, wins, conts)
        # Far weaker than the best candidate means shared idioms, not a copy: skip them.
        floor = max(min_containment, relative_floor * float(best.max()))
        chosen = np.flatnonzero(best >= floor)
        chosen = chosen[np.lexsort((group_blob[chosen], -best[chosen]))][:limit]
        ascending = ascending.tolist()
        return [Candidate(b, round(s, 4), w, tuple(ascending[f:e]))
                for b, s, w, f, e in zip(group_blob[chosen].tolist(), best[chosen].tolist(),
                                         best_win[chosen].tolist(), first[chosen].tolist(), last[chosen].tolist())]

    def colliding_windows(self, signatures: np.ndarray, max_pairs: int = MAX_PAIRS):
        """(index window ids, query window ids, estimated Jaccard) of every pair of a query
        signature and an indexed window that share an LSH band; when there are more than
        ``max_pairs``, those sharing the most bands (the highest Jaccard) are kept."""
        empty = np.empty(0, np.int64)
        if len(signatures) == 0 or len(self.windows) == 0:
            return empty, empty, np.empty(0)
        lsh = self.config.lsh
        found = self._postings(band_keys(signatures, lsh.bands, lsh.rows), len(signatures))
        if not found:
            return empty, empty, np.empty(0)
        pairs, hits = np.unique(np.concatenate(found), return_counts=True)
        if len(pairs) > max_pairs:
            # Keep the pairs that share the most bands: they have the highest Jaccard. This bounds
            # the signature rows read below, whatever the query.
            keep = np.argpartition(-hits, max_pairs)[:max_pairs]
            pairs = pairs[keep]
        window_ids = pairs // len(signatures)
        query_ids = pairs % len(signatures)
        return window_ids, query_ids, self._agreement(window_ids, signatures, query_ids)

    def _agreement(self, window_ids: np.ndarray, signatures: np.ndarray, query_ids: np.ndarray) -> np.ndarray:
        """Estimated Jaccard of each pair: the share of equal MinHash values."""
        if compiled_in_use() and isinstance(self.signatures, np.ndarray):
            from ..matching.kernels import signature_agreement

            return signature_agreement(self.signatures, window_ids, signatures, query_ids)
        return (np.asarray(self.signatures[window_ids]) == signatures[query_ids]).mean(axis=1)

    def _postings(self, qkeys: np.ndarray, n_queries: int) -> list[np.ndarray]:
        """``window id * n_queries + query window`` of every indexed window sharing a query
        window's band key, all bands together (keys with more than MAX_POSTINGS windows skipped)."""
        if compiled_in_use() and isinstance(self.band_keys, np.ndarray) and isinstance(self.band_windows, np.ndarray):
            from ..matching.kernels import band_postings

            found = band_postings(self.band_keys, self.band_windows, np.ascontiguousarray(qkeys), MAX_POSTINGS)
            return [found] if len(found) else []
        bands = len(qkeys)
        lo = np.empty(qkeys.shape, dtype=np.int64)
        hi = np.empty(qkeys.shape, dtype=np.int64)
        for b in range(bands):  # the binary searches; everything after is one operation for all bands
            keys = self.band_keys[b]
            lo[b] = np.searchsorted(keys, qkeys[b], side="left")
            hi[b] = np.searchsorted(keys, qkeys[b], side="right")
        counts = (hi - lo).ravel()
        hit = np.flatnonzero((counts > 0) & (counts <= MAX_POSTINGS))
        if not len(hit):
            return []
        counts = counts[hit]
        # every posting of every matched (band, query key), gathered in one indexing operation
        # from the flattened (bands, n_windows) table
        row_start = lo.ravel()[hit] + (hit // n_queries) * self.band_windows.shape[1]
        flat = np.repeat(row_start - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        ids = np.asarray(self._band_windows_flat[flat], dtype=np.int64)
        return [ids * n_queries + np.repeat(hit % n_queries, counts)]

    def blob_of_id(self, blob_id: str) -> int | None:
        """The blob number of a git blob sha1, or None when the index does not hold it."""
        if self._blob_lookup is None:
            self._blob_lookup = {bytes(b): i for i, b in enumerate(self.blob_ids)}
        return self._blob_lookup.get(blob_id.encode("ascii"))

    def region(self, blob: int, windows, near: int, widen: int) -> tuple[int, int]:
        """Char span worth aligning: the collided windows close to window ``near``, widened
        by ``widen`` windows each side. It starts at a window start, which is a token
        boundary, so tokenising from there never starts inside a string or comment."""
        ids = sorted({w for w in windows if abs(w - near) <= 4 * widen + 4}) or [near]
        lo, hi = ids[0], ids[-1]
        lo_bound, hi_bound = lo, hi
        while lo_bound > 0 and lo - lo_bound < widen and int(self.windows[lo_bound - 1, 0]) == blob:
            lo_bound -= 1
        while hi_bound + 1 < len(self.windows) and hi_bound - hi < widen and int(self.windows[hi_bound + 1, 0]) == blob:
            hi_bound += 1
        first_of_blob = lo_bound == 0 or int(self.windows[lo_bound - 1, 0]) != blob
        last_of_blob = hi_bound + 1 == len(self.windows) or int(self.windows[hi_bound + 1, 0]) != blob
        start = 0 if first_of_blob else int(self.windows[lo_bound, 1])
        end = -1 if last_of_blob else int(self.windows[hi_bound, 2])
        return start, end


def language_names(manifest: dict, path) -> list[str]:
    """The manifest's ``languages`` (what ``blob_languages.npy`` codes point into), checked."""
    names = manifest.get("languages", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise AuditorError(f"corrupt index manifest {path}: its languages must be a list of names; rebuild the index")
    return names


def _group_by_blob(blobs: np.ndarray, wins: np.ndarray, conts: np.ndarray):
    """(blob, best containment, best window, group start, group end) per blob, ascending, and
    the window ids sorted by (blob, window): see :func:`auditor.matching.kernels.group_by_blob`,
    which does the same in one sort when the compiled kernels are in use."""
    wins = wins.astype(np.int64, copy=False)
    if compiled_in_use():
        from ..matching.kernels import group_by_blob

        return group_by_blob(blobs, wins, conts)
    order = np.lexsort((-wins, -conts, blobs))  # within a blob the best (containment, window) first
    sorted_blobs = blobs[order]
    first = np.flatnonzero(np.r_[True, sorted_blobs[1:] != sorted_blobs[:-1]])
    last = np.r_[first[1:], len(sorted_blobs)]
    # the blobs' groups keep their places when sorted by (blob, window)
    ascending = wins[np.lexsort((wins, blobs))]
    return sorted_blobs[first], conts[order][first], wins[order][first], first, last, ascending


def _manifest_id(path: Path) -> str | None:
    try:
        return read_manifest(path).get("id")
    except AuditorError:
        return None


def _random_access(arr) -> None:
    """Tell the kernel these pages are read at random: binary searches touch a few pages
    each, and the default read-ahead would pull in (and keep resident) 32 times more."""
    mm = getattr(arr, "_mmap", None)
    if mm is not None and hasattr(mmap, "MADV_RANDOM"):
        try:
            mm.madvise(mmap.MADV_RANDOM)
        except (OSError, ValueError):
            pass


def open_index_at(spec) -> "Index":
    """An index from a directory, or from Redis for a ``redis://`` URL (:mod:`.redis_store`)."""
    if isinstance(spec, Index):
        return spec
    from .redis_store import RedisIndex, is_redis_url

    return RedisIndex(str(spec)) if is_redis_url(spec) else Index(spec)
