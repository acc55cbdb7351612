"""Membership: which of a maintainer's own files, or near-copies of them, an index holds.

"Is my code in this training set?" (the Guix thread). Each source file of REPO_DIR is looked
up two ways:

- **exact**: its git blob id (the SWHID's hash) is an indexed blob: the same bytes are there;
- **near copy**: its windows are fingerprinted as at build time (every ``stride`` tokens)
  and looked up in the LSH tables. An indexed file holds a near copy when at least
  ``min_share`` of the local file's windows collide with one of its windows at an estimated
  Jaccard of at least ``min_jaccard``, and the two texts are at least ``MIN_SIMILARITY``
  alike (rapidfuzz's Indel ratio, whitespace ignored). Windows are built on normalised
  tokens, so a file of imports and registrations shares most windows with its siblings
  (mutagen's ``id3/__init__.py`` and ``_file.py``: 75%) while its text does not (28%); a
  renamed working copy keeps both. The share and the similarity are the strength reported.

Every indexed path and repository name holding the blob is listed: the evidence an opt-out
request needs.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
import os
from pathlib import Path

import numpy as np

from .corpus.files import ReadStats, read_source_file, relpath_posix
from .corpus.languages import language_of
from .corpus.trees import walk_source_paths
from .errors import AuditorError

MIN_SHARE = 0.5
MIN_JACCARD = 0.5
MIN_SIMILARITY = 0.5
SIMILARITY_CHARS = 100_000  # texts compared up to this length: the ratio is quadratic
MAX_FILES_PER_MATCH = 20


@dataclass
class Holder:
    """An indexed blob holding one local file or a near copy of it."""

    blob_id: str
    exact: bool
    share: float  # of the local file's windows found in this blob (1.0 when exact)
    similarity: float  # of the two texts, whitespace ignored (1.0 when exact)
    files: list[dict]  # [{"repo_name", "path", "license"}], every indexed file with this content
    more_files: int = 0  # files beyond MAX_FILES_PER_MATCH


@dataclass
class LocalFile:
    path: str  # relative to REPO_DIR
    blob_id: str
    windows: int
    holders: list[Holder] = field(default_factory=list)


@dataclass
class MembershipReport:
    root: str
    index: dict
    files: list[LocalFile]
    skipped: int
    min_share: float

    @property
    def found(self) -> list[LocalFile]:
        return [f for f in self.files if f.holders]


def _holder(index, blob: int, exact: bool, share: float, similarity: float) -> Holder:
    rows = index.files_of(blob)
    files = [{"repo_name": r["repo_name"], "path": r["path"], "license": r.get("license")}
             for r in rows[:MAX_FILES_PER_MATCH]]
    return Holder(index.blob_id(blob), exact, round(share, 4), round(similarity, 4), files,
                  max(0, len(rows) - MAX_FILES_PER_MATCH))


def _similarity(a: str, b: str) -> float:
    from rapidfuzz.fuzz import ratio

    return ratio("".join(a.split())[:SIMILARITY_CHARS], "".join(b.split())[:SIMILARITY_CHARS]) / 100.0


def _near_copies(index, content: str, language: str | None, min_jaccard: float) -> tuple[int, dict[int, float]]:
    """(windows of the file, {blob: share of those windows found in it})."""
    from .index.builder import fingerprint

    sigs, _, _ = fingerprint(content, language, index.config)  # the windows a build makes of it
    if not len(sigs):
        return 0, {}
    window_ids, query_ids, jac = index.colliding_windows(sigs, max_pairs=max(20000, 200 * len(sigs)))
    keep = jac >= min_jaccard
    blobs = np.asarray(index.windows[window_ids[keep], 0], dtype=np.int64)
    covered: dict[int, set] = defaultdict(set)
    for blob, q in zip(blobs.tolist(), query_ids[keep].tolist()):
        covered[blob].add(q)
    return len(sigs), {b: len(qs) / len(sigs) for b, qs in covered.items()}


def membership(root: str | os.PathLike, index, *, min_share: float = MIN_SHARE, min_jaccard: float = MIN_JACCARD,
               top: int = 5, progress=None) -> MembershipReport:
    """Look up every source file under ``root`` in ``index`` (an open Index)."""
    root = Path(root)
    if not root.is_dir():
        raise AuditorError(f"{root} is not a directory: give the root of your source tree")
    if not 0.0 < min_share <= 1.0:
        raise AuditorError(f"--min-share must be within (0, 1], got {min_share}")
    from .fingerprint.mode import for_bulk_work

    for_bulk_work()
    stats = ReadStats()
    out: list[LocalFile] = []
    for path in walk_source_paths(root, stats):
        read = read_source_file(path, stats=stats)
        if progress is not None:
            progress()
        if read is None:
            continue
        content, blob_id = read
        rel = relpath_posix(path, root)
        windows, shares = _near_copies(index, content, language_of(rel), min_jaccard)
        local = LocalFile(rel, blob_id, windows)
        exact = index.blob_of_id(blob_id)
        if exact is not None:
            local.holders.append(_holder(index, exact, True, 1.0, 1.0))
        near = sorted(((share, b) for b, share in shares.items() if b != exact and share >= min_share),
                      key=lambda t: (-t[0], t[1]))
        for share, blob in near:
            if len(local.holders) >= top:
                break
            similarity = _similarity(content, index.blob_text(blob))
            if similarity >= MIN_SIMILARITY:
                local.holders.append(_holder(index, blob, False, share, similarity))
        out.append(local)
    return MembershipReport(str(root.resolve()), index.describe(), out, sum(stats.skipped.values()), min_share)
