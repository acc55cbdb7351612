"""A cache of ScanCode results per distinct content, shared by every build on the machine.

Keyed by git blob sha1: the same file in a thousand repositories, or in the next rebuild,
is scanned once. SQLite (stdlib) holds it; only the building process writes, workers
never touch it. Results carry the ScanCode and resolver version, and a mismatch is a miss.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
import sqlite3

from auditor.licensing.resolve import BlobScan

# Bump when scan_blob changes what it returns for the same content.
RESOLVER_VERSION = "4"


def _version() -> str:
    try:
        from importlib.metadata import version

        scancode = version("scancode-toolkit")
    except Exception:  # not installed: nothing cached can be trusted
        scancode = "none"
    return f"scancode-{scancode}/resolver-{RESOLVER_VERSION}"


def default_path() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("AUDITOR_CACHE_DIR") or user_cache_dir("auditor")) / "scan-cache.sqlite"


class ScanCache:
    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.version = _version()
        self._db = sqlite3.connect(self.path, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS scans (blob TEXT PRIMARY KEY, version TEXT, data TEXT)")
        self.hits = self.misses = 0

    def get_many(self, blob_ids: list[str]) -> dict[str, BlobScan]:
        found: dict[str, BlobScan] = {}
        for i in range(0, len(blob_ids), 500):
            chunk = blob_ids[i: i + 500]
            rows = self._db.execute(
                f"SELECT blob, data FROM scans WHERE version = ? AND blob IN ({','.join('?' * len(chunk))})",
                [self.version, *chunk]).fetchall()
            for blob, data in rows:
                try:
                    found[blob] = BlobScan.from_json(json.loads(data))
                except (ValueError, TypeError):
                    continue
        self.hits += len(found)
        self.misses += len(blob_ids) - len(found)
        return found

    def put_many(self, scans: dict[str, BlobScan]) -> None:
        if scans:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO scans VALUES (?, ?, ?)",
                                     [(b, self.version, json.dumps(s.to_json())) for b, s in scans.items()])

    def close(self) -> None:
        self._db.close()
