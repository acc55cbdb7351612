"""Batch audit: trace every generation of a JSONL or parquet file against one index.

Writes ``results.jsonl`` (one trace JSON per input, with its ``id``) and
``results.parquet`` (one flat row per input, for SQL and pandas), each atomically.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator

from .atomic import atomic_file
from .errors import AuditorError
from .matching.trace import trace
from .progress import progress_bar
from .report.json_report import trace_dict


def read_queries(path: str | os.PathLike, id_column: str, text_column: str) -> tuple[int, Iterator[tuple[str, object]]]:
    """(row count, iterator of (id, text)) from a .jsonl/.json or .parquet file."""
    path = Path(path)
    if not path.is_file():
        raise AuditorError(f"no queries file at {path}")
    name = path.name.lower()
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path)
        except Exception as e:
            raise AuditorError(f"{path} is not a readable parquet file ({e.__class__.__name__})") from None
        cols = pf.schema_arrow.names
        _check_columns(path, cols, id_column, text_column)

        def rows():
            for batch in pf.iter_batches(columns=[id_column, text_column], batch_size=1024):
                d = batch.to_pydict()
                yield from zip(d[id_column], d[text_column])

        return pf.metadata.num_rows, rows()
    if name.endswith((".jsonl", ".json", ".ndjson")):
        lines = [ln for ln in path.read_text("utf-8", errors="replace").splitlines() if ln.strip()]
        records = []
        for i, ln in enumerate(lines, 1):
            try:
                rec = json.loads(ln)
            except json.JSONDecodeError as e:
                raise AuditorError(f"{path}:{i}: not valid JSON ({e.msg})") from None
            if not isinstance(rec, dict):
                raise AuditorError(f"{path}:{i}: each line must be a JSON object")
            records.append(rec)
        if records:
            _check_columns(path, list(records[0]), id_column, text_column)
        return len(records), ((r.get(id_column, i), r.get(text_column)) for i, r in enumerate(records))
    raise AuditorError(f"{path}: queries must be .jsonl or .parquet")


def _check_columns(path: Path, cols: list[str], id_column: str, text_column: str) -> None:
    missing = [c for c in (id_column, text_column) if c not in cols]
    if missing:
        raise AuditorError(f"{path} has no column {', '.join(map(repr, missing))} (columns: {', '.join(cols)}); "
                           "use --id-column/--text-column")


def _flat(qid: str, d: dict | None, error: str | None) -> dict:
    top = (d or {}).get("matches", [{}])
    top = top[0] if top else {}
    src = top.get("source", {})
    att = (d or {}).get("attribution", {})
    return {
        "id": qid, "error": error, "verdict": (d or {}).get("verdict"),
        "matches": len((d or {}).get("matches", [])), "score": top.get("score"), "coverage": top.get("coverage"),
        "repo_name": src.get("repo_name"), "path": src.get("path"), "blob_id": src.get("blob_id"),
        "license": src.get("license"), "license_category": src.get("license_category"),
        "attribution_required": att.get("required"), "attribution_present": att.get("present_in_snippet"),
        "attribution_wrong_license": att.get("wrong_license"),
    }


def run_audit(queries, out_dir, index, *, id_column="id", text_column="text", top_k=5, show_progress=True) -> dict:
    total, rows = read_queries(queries, id_column, text_column)
    out_dir = Path(out_dir)
    flat: list[dict] = []
    counts = {"inputs": 0, "errors": 0, "matched": 0}
    with atomic_file(out_dir / "results.jsonl", "w", encoding="utf-8") as fh, \
            progress_bar("auditing", total=total, enabled=show_progress, unit="snippets") as bar:
        for qid, text in rows:
            qid = str(qid)
            counts["inputs"] += 1
            d, error = None, None
            try:
                if not isinstance(text, str):
                    raise AuditorError(f"{text_column!r} is not text")
                d = trace_dict(trace(index, text, top_k=top_k))
            except AuditorError as e:
                error = str(e)
                counts["errors"] += 1
            if d and d["verdict"] != "none":
                counts["matched"] += 1
            fh.write(json.dumps({"id": qid, **(d or {"error": error})}, ensure_ascii=False) + "\n")
            flat.append(_flat(qid, d, error))
            bar.advance(1, len(text) if isinstance(text, str) else 0)
    _write_parquet(out_dir / "results.parquet", flat)
    return counts


def _write_parquet(path: Path, rows: list[dict]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("id", pa.string()), ("error", pa.string()), ("verdict", pa.string()),
                        ("matches", pa.int64()), ("score", pa.float64()), ("coverage", pa.float64()),
                        ("repo_name", pa.string()), ("path", pa.string()), ("blob_id", pa.string()),
                        ("license", pa.string()), ("license_category", pa.string()),
                        ("attribution_required", pa.bool_()), ("attribution_present", pa.bool_()),
                        ("attribution_wrong_license", pa.bool_())])
    with atomic_file(path, "wb") as fh:
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), fh, compression="zstd")
