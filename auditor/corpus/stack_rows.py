"""Rows of The Stack (v1 or v2 column layout) as :class:`SourceFile`.

The layout is detected from the column names, so the same code maps a parquet shard, a JSONL
dump, a dataset saved with ``save_to_disk`` and a streamed hub dataset.

- v2: ``blob_id, repo_name, path, content, language, detected_licenses (ScanCode keys),
  license_type, gha_license_id, revision_id / snapshot_id``
- v1: ``hexsha, max_stars_repo_name, max_stars_repo_path, max_stars_repo_licenses (SPDX ids),
  max_stars_repo_head_hexsha, content, lang`` (``max_forks_*`` / ``max_issues_*`` fill gaps)
- generic: any table with a ``content`` column; ``repo_name``/``path`` are used when present.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
import itertools
import json
import re
from typing import Any

from auditor.corpus.files import ReadStats, utf8_path
from auditor.corpus.languages import language_of
from auditor.errors import AuditorError
from auditor.models import SourceFile

V2, V1, GENERIC = "stack-v2", "stack-v1", "generic"

_V2_MARKERS = frozenset({"blob_id", "detected_licenses", "license_type", "gha_license_id", "snapshot_id", "revision_id"})
_V1_MARKERS = frozenset({"hexsha", "max_stars_repo_name", "max_stars_repo_path", "max_stars_repo_licenses"})
_V1_PREFIXES = ("max_stars_repo_", "max_forks_repo_", "max_issues_repo_")
_GIT_SHA1 = re.compile(r"[0-9a-fA-F]{40}")
# Lone surrogates: JSON text can carry them ("\ud800"), UTF-8 cannot.
_SURROGATE = re.compile("[\ud800-\udfff]")

# The columns each layout reads: a parquet reader projects onto these, so wide tables stay cheap.
V2_COLUMNS = (
    "blob_id", "repo_name", "path", "content", "language", "detected_licenses",
    "license_type", "gha_license_id", "revision_id", "snapshot_id",
)
V1_COLUMNS = ("hexsha", "content", "lang") + tuple(
    p + f for p in _V1_PREFIXES for f in ("name", "path", "licenses", "head_hexsha")
)
GENERIC_COLUMNS = ("blob_id", "repo_name", "repo", "path", "content", "language", "lang", "revision")

RowMapper = Callable[[Mapping[str, Any]], "SourceFile | None"]


def detect_layout(columns: Iterable[str], where: str) -> str:
    """``stack-v2``, ``stack-v1`` or ``generic``; AuditorError naming the columns when there is no ``content``."""
    cols = set(columns)
    if "content" not in cols:
        hint = ""
        if "blob_id" in cols:
            hint = " (The Stack v2 ships blob ids only: fetch the contents from Software Heritage first)"
        shown = ", ".join(sorted(cols)[:20]) + (", ..." if len(cols) > 20 else "")
        raise AuditorError(f"{where}: no 'content' column, so not a corpus this tool reads{hint}; columns: {shown}")
    if cols & _V1_MARKERS:
        return V1
    if cols & _V2_MARKERS:
        return V2
    return GENERIC


def layout_columns(layout: str) -> tuple[str, ...]:
    return {V2: V2_COLUMNS, V1: V1_COLUMNS, GENERIC: GENERIC_COLUMNS}[layout]


def row_mapper(layout: str, *, default_repo: str, stats: ReadStats) -> RowMapper:
    """A function from one row (a dict) to a :class:`SourceFile`, or None for rows without content (counted)."""
    counter = itertools.count()
    default_repo = utf8_path(default_repo)  # a file name that is not UTF-8

    def common(row: Mapping[str, Any]) -> tuple[str, int] | None:
        content = row.get("content")
        index = next(counter)
        if not isinstance(content, str) or not content.strip():
            stats.skip("row without content")
            return None
        return _clean(content), index

    def v2(row: Mapping[str, Any]) -> SourceFile | None:
        got = common(row)
        if got is None:
            return None
        content, index = got
        path = _text(row.get("path")) or f"row-{index}"
        return SourceFile(
            blob_id=_blob_id(row.get("blob_id"), content),
            repo_name=_text(row.get("repo_name")) or default_repo,
            path=path,
            content=content,
            language=_text(row.get("language")) or language_of(path),
            detected_licenses=_strings(row.get("detected_licenses")),
            license_type=_text(row.get("license_type")),
            gha_license_id=_text(row.get("gha_license_id")),
            revision=_text(row.get("revision_id")) or _text(row.get("snapshot_id")),
        )

    def v1(row: Mapping[str, Any]) -> SourceFile | None:
        got = common(row)
        if got is None:
            return None
        content, index = got

        def repo_field(name: str) -> Any:
            return next((row.get(p + name) for p in _V1_PREFIXES if row.get(p + name) not in (None, "")), None)

        path = _text(repo_field("path")) or f"row-{index}"
        return SourceFile(
            blob_id=_blob_id(row.get("hexsha"), content),
            repo_name=_text(repo_field("name")) or default_repo,
            path=path,
            content=content,
            language=_text(row.get("lang")) or language_of(path),
            detected_licenses=_strings(repo_field("licenses")),
            revision=_text(repo_field("head_hexsha")),
        )

    def generic(row: Mapping[str, Any]) -> SourceFile | None:
        got = common(row)
        if got is None:
            return None
        content, index = got
        path = _text(row.get("path")) or f"row-{index}"
        return SourceFile(
            blob_id=_blob_id(row.get("blob_id"), content),
            repo_name=_text(row.get("repo_name")) or _text(row.get("repo")) or default_repo,
            path=path,
            content=content,
            language=_text(row.get("language")) or _text(row.get("lang")) or language_of(path),
            revision=_text(row.get("revision")),
        )

    return {V2: v2, V1: v1, GENERIC: generic}[layout]


def _clean(text: str) -> str:
    """``text`` with any lone surrogate replaced by U+FFFD, so that it encodes as UTF-8."""
    return _SURROGATE.sub("\ufffd", text)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    value = _clean(str(value))
    return value or None


def _blob_id(value: Any, content: str) -> str:
    """The row's git blob id when it is one (40 hex digits), else the content's: an id is a SWHID's
    hash and the key files are deduplicated by, so a malformed one (``"x"``, non-ASCII) is not kept."""
    text = _text(value)
    return text.lower() if text is not None and _GIT_SHA1.fullmatch(text) else SourceFile.blob_id_of(content)


def _strings(value: Any) -> tuple[str, ...]:
    """A list column (or a JSON-ish string of one) as a tuple of non-empty strings."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("["):
            try:
                value = json.loads(value)
            except ValueError:
                return (_clean(value),)
            if not isinstance(value, list):
                return (_clean(str(value)),)
        else:
            return (_clean(value),) if value else ()
    if not isinstance(value, Iterable) or isinstance(value, (bytes, Mapping)):  # a scalar where a list belongs
        return (_clean(str(value)),)
    return tuple(_clean(str(v)) for v in value if v not in (None, ""))
