"""The on-disk index: what files it holds and what the manifest says.

```
DIR/manifest.json         schema, config + tag, sources, counts, sha256 and size of every table
DIR/files.parquet         one row per file: repo, path, blob, language, licence, holders, ... (for SQL/pandas)
DIR/files.jsonl           the same rows as JSON lines, read row by row on the query path (no pyarrow)
DIR/files_offsets.npy     (n_files + 1,) uint64 byte offsets into files.jsonl
DIR/blob_files.npy        (n_files,) uint32 file ids grouped by blob
DIR/blob_file_offsets.npy (n_blobs + 1,) uint32 where each blob's file ids start in blob_files
DIR/blob_ids.npy          (n_blobs,) S40   git blob sha1 of each distinct content
DIR/content.bin           the UTF-8 contents of all blobs, back to back
DIR/content_offsets.npy   (n_blobs + 1,) uint64 byte offsets into content.bin
DIR/blob_ascii.npy        (n_blobs,) uint64 how many of each blob's first bytes are ASCII (so are its
                          first that many characters): a window there is read without decoding
DIR/blob_languages.npy    (n_blobs,) int32 the language of each blob's first file row, a position in
                          the manifest's "languages" list; -1: no language, -2: no file row
DIR/windows.npy           (n_windows, 3) uint32: blob, first char, end char
DIR/signatures.npy        (n_windows, num_perm) uint32 MinHash, datasketch affine32
DIR/band_keys.npy         (bands, n_windows) uint64, each row sorted
DIR/band_windows.npy      (bands, n_windows) uint32 window id of each sorted key
DIR/texts.jsonl           one {"sha1", "text"} line per distinct licence or NOTICE text of the
                          indexed packages; a file row's license_text_id / notice_text_id is its
                          line number, or -1 when the file has none
DIR/texts_offsets.npy     (n_texts + 1,) uint64 byte offsets into texts.jsonl
```

Every array is a plain ``.npy`` opened with ``np.load(mmap_mode="r", allow_pickle=False)``:
opening costs a few page reads, and an index from someone else cannot run code.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..errors import AuditorError

SCHEMA = "auditor.index/2"
MANIFEST = "manifest.json"
ARRAYS = ("blob_ids", "content_offsets", "windows", "signatures", "band_keys", "band_windows",
          "files_offsets", "blob_files", "blob_file_offsets", "texts_offsets", "blob_ascii", "blob_languages")
TABLES = ("files.parquet", "files.jsonl", "content.bin", "texts.jsonl") + tuple(f"{a}.npy" for a in ARRAYS)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def read_manifest(directory: Path, with_sha256: bool = False):
    """The manifest, checked; with ``with_sha256``, (manifest, sha256 of the bytes read)."""
    directory = Path(directory)
    if not directory.exists():
        raise AuditorError(f"no index at {directory}: build one with 'auditor index build SOURCE --out {directory}'")
    if not directory.is_dir():
        raise AuditorError(f"{directory} is not an index directory")
    path = directory / MANIFEST
    try:
        data = path.read_bytes()
        manifest = json.loads(data.decode("utf-8"))
    except FileNotFoundError:
        raise AuditorError(f"{directory} is not an auditor index (no {MANIFEST})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise AuditorError(f"corrupt index manifest {path}: {e.__class__.__name__}") from None
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA:
        found = manifest.get("schema") if isinstance(manifest, dict) else None
        raise AuditorError(f"{path} has schema {found!r}, this auditor reads {SCHEMA!r}: rebuild the index")
    missing = [t for t in TABLES if not (directory / t).is_file()]
    if missing:
        raise AuditorError(f"index {directory} is incomplete: missing {', '.join(missing)}")
    tables = manifest.get("tables")
    if not isinstance(tables, dict) or any(
            not isinstance(tables.get(t), dict) or not isinstance(tables[t].get("sha256"), str)
            or not isinstance(tables[t].get("bytes"), int) for t in TABLES):
        raise AuditorError(f"corrupt index manifest {path}: it must give the size and sha256 of every table; "
                           "rebuild the index")
    return (manifest, hashlib.sha256(data).hexdigest()) if with_sha256 else manifest


def index_id(tables: dict) -> str:
    """Content address of an index: the same tables give the same id."""
    h = hashlib.sha256(json.dumps({k: v["sha256"] for k, v in sorted(tables.items())}).encode())
    return "idx-" + h.hexdigest()[:16]


def check_tables(directory: Path, manifest: dict) -> list[str]:
    """Tables whose size or sha256 differs from the manifest (slow: reads every byte)."""
    bad = []
    for name, meta in manifest.get("tables", {}).items():
        p = Path(directory) / name
        if not p.is_file() or p.stat().st_size != meta.get("bytes") or sha256_file(p) != meta.get("sha256"):
            bad.append(name)
    return bad
