"""Licence and NOTICE texts of the indexed packages, each distinct text stored once.

A package's LICENSE is the same for each of its thousands of files, so rows hold a text id
(``license_text_id``/``notice_text_id``, -1 for none) into ``texts.jsonl``: one
``{"sha1", "text"}`` line per distinct text, read by offset (``texts_offsets.npy``) on the
query path without pyarrow.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

# Row keys that carry a text from the worker, and the id columns that replace them.
TEXT_COLUMNS = {"license_text": "license_text_id", "notice_text": "notice_text_id"}
NO_TEXT = -1


class TextTable:
    """Collects distinct texts in first-seen order while rows arrive."""

    def __init__(self) -> None:
        # Keyed by the text itself: rows of one batch share one str object, whose hash
        # Python computes once, so interning costs a dict lookup per row.
        self._ids: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def intern(self, row: dict) -> None:
        """Replace the text keys of ``row`` by the ids of their texts."""
        for key, column in TEXT_COLUMNS.items():
            text = row.pop(key, None)
            row[column] = self._ids.setdefault(text, len(self._ids)) if text else NO_TEXT

    def write(self, path: Path) -> np.ndarray:
        """Write ``texts.jsonl``; return its (n_texts + 1,) uint64 line offsets."""
        offsets = [0]
        with open(path, "wb") as fh:
            for text in self._ids:  # dicts keep insertion order: line i holds id i
                data = text.encode("utf-8", "surrogateescape")
                record = {"sha1": hashlib.sha1(data).hexdigest(), "text": text}
                line = json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogateescape") + b"\n"
                fh.write(line)
                offsets.append(offsets[-1] + len(line))
        return np.array(offsets, dtype=np.uint64)
