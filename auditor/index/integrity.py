"""Is an index the one its manifest describes? Checked by sha256, once per state of its files.

Every table's sha256 is in the manifest. Reading a 1 GB index through sha256 takes about a
second, too long for every ``trace-snippet``; so the first open of an index verifies every
table, and records a stamp of what it verified: each table's size, inode and ctime, and the
manifest's own sha256. Later opens compare the stamp (a few ``stat`` calls). Writing to a
table, replacing it or copying the index changes its ctime or inode, so the next open
verifies again. ctime cannot be set back from user space, unlike mtime. The builder stamps
the index it has just written, since it computed those digests itself.

``AUDITOR_VERIFY_INDEX=always`` verifies on every open; ``never`` skips it.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..errors import AuditorError
from .layout import MANIFEST, check_tables


def _stamp_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("AUDITOR_CACHE_DIR") or user_cache_dir("auditor")) / "verified-indexes"


def stamp(directory: Path, manifest: dict) -> str:
    """A digest of the state of every table the manifest lists, and of the manifest itself."""
    h = hashlib.sha256()
    for name in sorted(manifest.get("tables", {})) + [MANIFEST]:
        try:
            st = os.stat(Path(directory) / name)
        except OSError:
            return ""  # a table is missing: nothing to stamp, the check will say which
        h.update(f"{name}\0{st.st_size}\0{st.st_ino}\0{st.st_dev}\0{st.st_ctime_ns}\n".encode())
    return h.hexdigest()


def record_verified(directory: Path, manifest: dict) -> None:
    s = stamp(directory, manifest)
    if not s:
        return
    try:
        d = _stamp_dir()
        d.mkdir(parents=True, exist_ok=True)
        (d / s).write_text(json.dumps({"index": manifest.get("id"), "path": str(Path(directory).resolve())}))
    except OSError:
        pass  # a read-only cache only costs a verification next time


def is_verified(directory: Path, manifest: dict) -> bool:
    """Whether opening the index will skip the sha256 check (already verified in this state)."""
    mode = os.environ.get("AUDITOR_VERIFY_INDEX", "auto")
    if mode in ("never", "always"):
        return mode == "never"
    s = stamp(directory, manifest)
    return bool(s) and (_stamp_dir() / s).is_file()


def ensure_verified(directory: Path, manifest: dict, announce=None) -> None:
    """AuditorError when a table's sha256 is not the manifest's: truncated, corrupted or swapped.
    ``announce()`` is called first when the tables have to be read (not when the stamp holds)."""
    if is_verified(directory, manifest):
        return
    if announce is not None:
        announce()
    bad = check_tables(directory, manifest)
    if bad:
        raise AuditorError(f"corrupt index {directory}: {', '.join(bad)} do{'es' if len(bad) == 1 else ''} not match "
                           "the sha256 in its manifest (truncated, damaged or replaced); rebuild it")
    record_verified(directory, manifest)
