"""Reading one file from disk into a :class:`SourceFile`, and the counts every reader keeps."""
from __future__ import annotations

from dataclasses import dataclass, field
import logging
import os
import stat
from pathlib import Path

from auditor.models import SourceFile, git_blob_sha1

log = logging.getLogger(__name__)

# The Stack drops files over 1 MB too; larger "source" files are nearly always generated or data.
MAX_FILE_BYTES = 1_000_000
# How much of a file is searched for a NUL byte to call it binary (git looks at 8,000 bytes).
BINARY_SNIFF_BYTES = 8192


@dataclass
class ReadStats:
    """What a reader yielded and what it skipped, and why. Filled in as the iterator is consumed."""

    files: int = 0
    bytes: int = 0
    latin1: int = 0  # files yielded after decoding as latin-1 because they were not valid UTF-8
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + n

    def as_dict(self) -> dict:
        return {
            "files": self.files,
            "bytes": self.bytes,
            "latin1": self.latin1,
            "skipped": dict(sorted(self.skipped.items())),
        }


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:BINARY_SNIFF_BYTES]


def read_source_file(
    path: Path,
    *,
    stats: ReadStats,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> tuple[str, str] | None:
    """``(content, blob_id)`` of a regular file, or None (counted in ``stats``) when it must be skipped.

    Skipped: symlinks, files over ``max_file_bytes``, binary files, empty files and unreadable ones.
    Bytes that are not UTF-8 are decoded as latin-1 (which accepts any byte string); the blob id is
    then that of the UTF-8 re-encoding, as for every other reader.
    """
    try:
        st = path.lstat()
    except FileNotFoundError:
        stats.skip("missing")
        return None
    except OSError:
        stats.skip("unreadable")
        return None
    if not stat.S_ISREG(st.st_mode):
        stats.skip("not a regular file")
        return None
    if st.st_size > max_file_bytes:
        stats.skip("over size cap")
        return None
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_file_bytes + 1)
    except OSError as e:
        log.debug("cannot read %s: %s", path, e)
        stats.skip("unreadable")
        return None
    if len(data) > max_file_bytes:
        stats.skip("over size cap")
        return None
    if not data.strip():
        stats.skip("empty")
        return None
    if is_binary(data):
        stats.skip("binary")
        return None
    try:
        return data.decode("utf-8"), git_blob_sha1(data)
    except UnicodeDecodeError:
        stats.latin1 += 1
        content = data.decode("latin-1")
        return content, SourceFile.blob_id_of(content)


def one_line(e: BaseException) -> str:
    """An exception's message on one line, for AuditorError."""
    return " ".join(str(e).split()) or type(e).__name__


def relpath_posix(path: Path, root: Path) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")


def utf8_path(rel: str) -> str:
    """``rel`` as an index records it: a name that is not UTF-8 on disk (which ``os`` gives with
    surrogate escapes, and no UTF-8 table can hold) is written with ``\\xNN`` escapes."""
    try:
        rel.encode("utf-8")
        return rel
    except UnicodeEncodeError:
        return os.fsencode(rel).decode("utf-8", "backslashreplace")
