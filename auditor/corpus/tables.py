"""Corpus tables on disk: parquet, JSON Lines (optionally gzipped), JSON arrays, and ``datasets`` saved to disk.

Parquet is read with pyarrow in record batches and JSONL line by line, so neither is loaded whole.
A ``save_to_disk`` directory goes through ``datasets.load_from_disk`` (imported only here: it costs
about 0.7 s), which memory-maps its Arrow files.
"""
from __future__ import annotations

from collections.abc import Iterator
import gzip
import json
import os
from pathlib import Path
from typing import IO, Any

from auditor.corpus.files import ReadStats, one_line
from auditor.corpus.stack_rows import detect_layout, layout_columns, row_mapper
from auditor.errors import AuditorError
from auditor.models import SourceFile

PARQUET_SUFFIXES = (".parquet",)
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
JSON_SUFFIXES = (".json", ".json.gz")
TABLE_SUFFIXES = PARQUET_SUFFIXES + JSONL_SUFFIXES + JSON_SUFFIXES

BATCH_ROWS = 1024


def table_suffix(path: str | os.PathLike) -> str | None:
    name = os.fspath(path).lower()
    return next((s for s in TABLE_SUFFIXES if name.endswith(s)), None)


def table_name(path: str | os.PathLike) -> str:
    """The file's name without its table suffix: the repo name of rows that carry none."""
    name = os.path.basename(os.fspath(path))
    suffix = table_suffix(name)
    return name[: -len(suffix)] if suffix else name


def is_saved_dataset(path: Path) -> bool:
    return path.is_dir() and (
        (path / "dataset_dict.json").is_file()
        or ((path / "dataset_info.json").is_file() and (path / "state.json").is_file())
    )


# -- parquet -------------------------------------------------------------------------------------


def _parquet_file(path: Path):
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except OSError as e:  # pyarrow.ArrowInvalid is a ValueError; ArrowIOError an OSError
        raise AuditorError(f"{path}: cannot read parquet: {one_line(e)}") from None
    except ValueError as e:
        raise AuditorError(f"{path}: not a readable parquet file: {one_line(e)}") from None


def parquet_layout(path: Path) -> tuple[str, int]:
    """``(layout, number of rows)`` from the parquet footer alone."""
    pf = _parquet_file(path)
    return detect_layout(pf.schema_arrow.names, str(path)), pf.metadata.num_rows


def iter_parquet(path: Path, *, stats: ReadStats) -> Iterator[SourceFile]:
    pf = _parquet_file(path)
    names = pf.schema_arrow.names
    layout = detect_layout(names, str(path))
    columns = [c for c in layout_columns(layout) if c in names]
    to_source = row_mapper(layout, default_repo=table_name(path), stats=stats)
    for batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=columns):
        for row in batch.to_pylist():
            sf = to_source(row)
            if sf is not None:
                yield sf


# -- JSON lines and JSON arrays ------------------------------------------------------------------


def _open_text(path: Path) -> IO[str]:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def _is_json_array(fh: IO[str]) -> bool:
    """Whether the file is one JSON array rather than JSON lines; leaves ``fh`` at its start."""
    while True:
        ch = fh.read(1)
        if not ch or not ch.isspace():
            fh.seek(0)
            return ch == "["


def _json_rows(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with _open_text(path) as fh:
            if _is_json_array(fh):
                rows = json.load(fh)  # an array cannot be streamed without a streaming parser
                for i, row in enumerate(rows):
                    yield _as_row(row, path, i + 1, "item")
                return
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError as e:
                    raise AuditorError(f"{path}:{lineno}: not a JSON line: {one_line(e)}") from None
                yield _as_row(row, path, lineno, "line")
    except (OSError, UnicodeDecodeError, EOFError) as e:
        raise AuditorError(f"{path}: cannot read: {one_line(e)}") from None
    except ValueError as e:  # json.load of a whole array
        raise AuditorError(f"{path}: not valid JSON: {one_line(e)}") from None


def _as_row(row: Any, path: Path, n: int, what: str) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise AuditorError(f"{path}: {what} {n} is a JSON {type(row).__name__}, expected an object with a 'content' field")
    return row


def json_layout(path: Path) -> str:
    first = next(_json_rows(path), None)
    if first is None:
        raise AuditorError(f"{path}: no rows")
    return detect_layout(first.keys(), str(path))


def iter_json(path: Path, *, stats: ReadStats) -> Iterator[SourceFile]:
    to_source = None
    for row in _json_rows(path):
        if to_source is None:
            layout = detect_layout(row.keys(), str(path))
            to_source = row_mapper(layout, default_repo=table_name(path), stats=stats)
        sf = to_source(row)
        if sf is not None:
            yield sf


# -- datasets.save_to_disk -----------------------------------------------------------------------


def saved_dataset_splits(path: Path) -> dict[str, Path]:
    """``{split: directory}``: one entry named "" for a Dataset, one per split for a DatasetDict."""
    dict_file = path / "dataset_dict.json"
    if dict_file.is_file():
        try:
            splits = json.loads(dict_file.read_text())["splits"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise AuditorError(f"{dict_file}: unreadable: {one_line(e)}") from None
        return {s: path / s for s in splits}
    return {"": path}


def saved_dataset_info(path: Path) -> dict[str, Any]:
    """Columns, layout and fingerprint of each split, from the JSON files only (no ``datasets`` import)."""
    out: dict[str, Any] = {}
    for split, d in saved_dataset_splits(path).items():
        try:
            info = json.loads((d / "dataset_info.json").read_text())
            state = json.loads((d / "state.json").read_text())
        except (OSError, ValueError) as e:
            raise AuditorError(f"{d}: not a dataset saved with save_to_disk: {one_line(e)}") from None
        columns = list((info.get("features") or {}).keys())
        out[split] = {
            "layout": detect_layout(columns, str(d)) if columns else None,
            "fingerprint": state.get("_fingerprint"),
        }
    return out


def iter_saved_dataset(path: Path, *, stats: ReadStats) -> Iterator[SourceFile]:
    import datasets

    try:
        loaded = datasets.load_from_disk(str(path))
    except (OSError, ValueError) as e:
        raise AuditorError(f"{path}: cannot load dataset saved to disk: {one_line(e)}") from None
    parts = [loaded] if isinstance(loaded, datasets.Dataset) else [loaded[s] for s in loaded]
    for ds in parts:
        yield from iter_dataset(ds, where=str(path), default_repo=path.name, stats=stats)


def iter_dataset(ds, *, where: str, default_repo: str, stats: ReadStats) -> Iterator[SourceFile]:
    """Rows of an in-memory or memory-mapped ``datasets.Dataset``, in batches of columns."""
    layout = detect_layout(ds.column_names, where)
    columns = [c for c in layout_columns(layout) if c in ds.column_names]
    to_source = row_mapper(layout, default_repo=default_repo, stats=stats)
    for batch in ds.select_columns(columns).iter(batch_size=BATCH_ROWS):
        names = list(batch)
        for values in zip(*(batch[n] for n in names)):
            sf = to_source(dict(zip(names, values)))
            if sf is not None:
                yield sf
