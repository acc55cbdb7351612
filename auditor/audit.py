"""Batch audit: trace every generation of a JSONL, CSV or parquet file against one index.

The run is sharded and resumable. The inputs are first copied, with only the columns the audit
reads, to ``OUTDIR/.audit/input.parquet``: one row group per shard of ``SHARD_ROWS``
generations. Each shard is traced in a worker process (:class:`auditor.pipeline.LocalExecutor`)
and written atomically to ``OUTDIR/.audit/part-NNNNNN.jsonl``; a shard whose part exists is done.
So an audit that is interrupted, or killed, carries on where it stopped when run again with the
same inputs and options, without redoing or losing finished shards. At the end the parts are
merged, in input order, into ``results.jsonl`` (one trace JSON per generation),
``results.parquet`` (one flat row per generation and match) and ``summary.json``/``summary.md``
(:mod:`auditor.report.summary`), each written atomically.
"""
from __future__ import annotations

from dataclasses import dataclass
import hashlib
import json
import os
from pathlib import Path
import threading

from .atomic import atomic_file
from .errors import AuditorError
from .progress import progress_bar

SHARD_ROWS = 64
STATE = ".audit"
FLAT_COLUMNS = (
    ("row", "int64"), ("id", "string"), ("model", "string"), ("error", "string"), ("verdict", "string"), ("rank", "int64"),
    ("match_verdict", "string"), ("score", "float64"), ("coverage", "float64"), ("identity", "float64"),
    ("repo_name", "string"), ("path", "string"), ("blob_id", "string"), ("license", "string"),
    ("license_category", "string"), ("attribution_required", "bool"), ("attribution_present", "bool"),
    ("attribution_wrong_license", "bool"), ("in_prompt", "bool"), ("license_answer", "string"),
    ("license_answer_correct", "bool"), ("compatibility", "string"),
)


@dataclass(frozen=True)
class Columns:
    id: str = "id"
    text: str = "text"
    model: str | None = None
    prompt: str | None = None  # what the model was given: a match already in it is not the model's copy
    license_answer: str | None = None  # the model's own answer when asked for the licence

    def optional(self) -> dict[str, str]:
        return {k: v for k, v in (("model", self.model), ("prompt", self.prompt),
                                  ("license_answer", self.license_answer)) if v}


def read_table(path: str | os.PathLike, columns: Columns):
    """The generations as a pyarrow table of strings: ``id``, ``text``, ``model``, ``prompt`` and
    ``license_answer`` (the last three empty when their column is not given)."""
    import pyarrow as pa

    wanted = [columns.id, columns.text, *columns.optional().values()]
    spec = str(path)
    path = Path(path)
    name = path.name.lower()
    try:
        if spec.startswith("hf:") or path.is_dir():
            table = _dataset_table(spec, path)
            _check_columns(path, table.column_names, wanted)
        elif not path.is_file():
            raise AuditorError(f"no queries file at {path}")
        elif name.endswith(".parquet"):
            import pyarrow.parquet as pq

            parquet = pq.ParquetFile(path)  # not pq.read_table: its dataset layer costs 0.2 s to import
            _check_columns(path, parquet.schema_arrow.names, wanted)
            table = parquet.read(columns=wanted)
        elif name.endswith(".csv"):
            import pyarrow.csv as pcsv

            table = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(strings_can_be_null=False))
            _check_columns(path, table.column_names, wanted)
        elif name.endswith((".jsonl", ".json", ".ndjson")):
            records = _json_lines(path)
            if records:
                _check_columns(path, list(records[0]), wanted)
            # JSON values of any type, mixed from row to row (an id 7 here, "7" there): kept as
            # Python values, not given to arrow, which wants one type per column
            table = {c: [r.get(c) for r in records] for c in wanted}
        else:
            raise AuditorError(f"{path}: queries must be .jsonl, .csv, .parquet, a dataset saved by `datasets` "
                               "or hf:owner/name[:config][@split]")
    except (pa.ArrowException, OSError) as e:
        raise AuditorError(f"{path} is not readable as a table ({' '.join(str(e).split())[:200]})") from None

    def column(name: str) -> list:
        return table[name] if isinstance(table, dict) else table.column(name).to_pylist()

    n = len(table[columns.id]) if isinstance(table, dict) else table.num_rows
    ids = column(columns.id) if n else []
    texts = column(columns.text) if n else []
    out = {"id": [str(i) if i is not None else str(k) for k, i in enumerate(ids)],
           "text": [t if isinstance(t, str) else None for t in texts]}
    for name in ("model", "prompt", "license_answer"):
        given = columns.optional().get(name)
        values = column(given) if given and n else [None] * n
        out[name] = [None if v is None else str(v) for v in values]
    return pa.table(out, schema=pa.schema([(k, pa.string()) for k in out]))


def _dataset_table(spec: str, path: Path):
    """A ``datasets`` dataset as a pyarrow table: saved to disk (``save_to_disk``), or a hub id
    (online only). A dataset dict must have one split, or a ``train`` split."""
    from .corpus.hub import _translate, offline_reason, parse_hub_spec, unreachable
    from .corpus.tables import is_saved_dataset

    if spec.startswith("hf:"):
        hub = parse_hub_spec(spec)
        if (reason := offline_reason()) is not None:
            raise unreachable(hub, reason)
        import datasets

        try:
            ds = datasets.load_dataset(hub.name, hub.config, split=hub.split)
        except (OSError, ValueError, RuntimeError) as e:
            raise _translate(hub, e) from None
    else:
        if not is_saved_dataset(path):
            raise AuditorError(f"{path} is a directory but not a dataset saved by `datasets` (save_to_disk)")
        import datasets

        ds = datasets.load_from_disk(str(path))
        if isinstance(ds, datasets.DatasetDict):
            splits = list(ds)
            if len(splits) != 1 and "train" not in splits:
                raise AuditorError(f"{path} holds the splits {', '.join(splits)}: save the one to audit on its own")
            ds = ds[splits[0] if len(splits) == 1 else "train"]
    return ds.with_format("arrow")[:]


def _input_digest(queries) -> str:
    """What identifies the inputs of a resumable audit: a file's bytes, a saved dataset's files,
    or a hub id."""
    digest = hashlib.sha256()
    spec, path = str(queries), Path(queries)
    if spec.startswith("hf:"):
        digest.update(spec.encode())
    elif path.is_dir():
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            st = f.stat()
            digest.update(f"{f.relative_to(path)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    else:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _json_lines(path: Path) -> list[dict]:
    records = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for i, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise AuditorError(f"{path}:{i}: not valid JSON ({e.msg})") from None
            if not isinstance(rec, dict):
                raise AuditorError(f"{path}:{i}: each line must be a JSON object")
            records.append(rec)
    return records


def _check_columns(path: Path, cols: list[str], wanted: list[str]) -> None:
    missing = [c for c in wanted if c not in cols]
    if missing:
        raise AuditorError(f"{path} has no column {', '.join(map(repr, missing))} (columns: {', '.join(cols)}); "
                           "use --id-column/--text-column (and --model-column/--prompt-column/--license-answer-column)")


def flat_rows(row: int, gen: dict, d: dict | None, error: str | None) -> list[dict]:
    """One row per match (one row with empty match columns when there is none); ``row`` is the
    generation's position in the input, ``gen`` its prepared input row."""
    d = d or {}
    att = d.get("attribution") or {}
    answer = gen.get("license_answer")
    base = {"row": row, "id": gen["id"], "model": gen.get("model"), "error": error, "verdict": d.get("verdict"),
            "attribution_required": att.get("required"), "attribution_present": att.get("present_in_snippet"),
            "attribution_wrong_license": att.get("wrong_license"), "license_answer": answer}
    rows = []
    for m in d.get("matches") or [{}]:
        src = m.get("source", {})
        rows.append({**base, "rank": m.get("rank"), "match_verdict": m.get("verdict"), "score": m.get("score"),
                     "coverage": m.get("coverage"), "identity": m.get("identity"),
                     "repo_name": src.get("repo_name"), "path": src.get("path"), "blob_id": src.get("blob_id"),
                     "license": src.get("license"), "license_category": src.get("license_category"),
                     "in_prompt": in_prompt(gen["text"], m, gen["prompt"]) if m and gen.get("prompt") else None,
                     "license_answer_correct": answer_names(answer, src.get("license")) if m and answer else None,
                     "compatibility": (m.get("compatibility") or {}).get("verdict") if m else None})
    return rows


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def in_prompt(text: str, match: dict, prompt: str) -> bool:
    """Whether the generation's copied lines were already in the prompt (at least 80% of the
    non-blank lines the match covers, whitespace ignored): the model echoed its input."""
    a, b = match.get("snippet_lines") or (1, 0)
    copied = _lines("\n".join(text.splitlines()[a - 1: b]))
    given = set(_lines(prompt))
    return bool(copied) and sum(line in given for line in copied) >= 0.8 * len(copied)


def answer_names(answer: str, license: str | None) -> bool | None:
    """Whether the model's licence answer names the source's licence (read as a licence line,
    so "MIT", "GPLv3" and "Apache License 2.0" all count); None when the licence is unknown."""
    from .attribution.snippet import satisfied, scan_snippet
    from .licensing.spdx import expression_tree

    if not license:
        return None
    return satisfied(expression_tree(license), scan_snippet("License: " + answer).licenses)


_INDEXES: dict[tuple[int, str], object] = {}


@dataclass(frozen=True)
class AuditStep:
    """Trace the generations of one row group of the prepared input; write its part atomically."""

    state: str
    index_path: str
    top_k: int
    project_license: str | None = None

    def part(self, rank: int) -> Path:
        return Path(self.state) / f"part-{rank:06d}.jsonl"

    def done(self, rank: int) -> bool:
        return self.part(rank).is_file()

    def run(self, rank: int, world_size: int) -> int:
        import pyarrow.parquet as pq

        from .fingerprint.mode import for_bulk_work
        from .index.reader import open_index_at
        from .matching.trace import trace
        from .report.json_report import trace_dict

        key = (os.getpid(), self.index_path)  # one Index per process: its file handles are not shared
        if key not in _INDEXES:
            for_bulk_work()
            _INDEXES[key] = open_index_at(self.index_path)
        index = _INDEXES[key]
        rows = pq.ParquetFile(Path(self.state) / "input.parquet").read_row_group(rank).to_pylist()
        with atomic_file(self.part(rank), "w", encoding="utf-8") as fh:
            for k, row in enumerate(rows):
                d, error = None, None
                try:
                    if row["text"] is None:
                        raise AuditorError("the text column is not text")
                    d = trace_dict(trace(index, row["text"], top_k=self.top_k, project_license=self.project_license))
                    del d["snippet"]["text"]  # the input row holds it already
                except AuditorError as e:
                    error = str(e)
                result = {"id": row["id"], **({"model": row["model"]} if row["model"] is not None else {}),
                          **(d or {"error": error})}
                flat = flat_rows(rank * SHARD_ROWS + k, row, d, error)
                # the result as the JSON line results.jsonl will hold: the merge copies it unparsed
                fh.write(json.dumps({"result": json.dumps(result, ensure_ascii=False), "flat": flat},
                                    ensure_ascii=False) + "\n")
        return len(rows)


def _prepare(queries, out_dir: Path, columns: Columns, index_id: str, top_k: int,
             project_license: str | None = None) -> tuple[Path, list[int]]:
    """Write (or reuse) the prepared input and its manifest; (state dir, rows of each shard)."""
    import pyarrow.parquet as pq

    state = out_dir / STATE
    if not str(queries).startswith("hf:") and not Path(queries).exists():
        raise AuditorError(f"no queries file at {queries}")
    manifest = {"schema": "auditor.audit-state/1", "input_sha256": _input_digest(queries), "index": index_id,
                "columns": [columns.id, columns.text, columns.optional()], "top_k": top_k, "shard_rows": SHARD_ROWS}
    if project_license:
        manifest["project_license"] = project_license
    manifest_path = state / "manifest.json"
    if manifest_path.is_file():
        try:
            old = json.loads(manifest_path.read_text())
        except ValueError:
            old = None
        if old != manifest:
            raise AuditorError(f"{out_dir} holds an audit of other inputs or options: give a new --out, "
                               "or delete it to start again")
    else:
        table = read_table(queries, columns)
        state.mkdir(parents=True, exist_ok=True)
        with atomic_file(state / "input.parquet", "wb") as fh:
            pq.write_table(table, fh, row_group_size=SHARD_ROWS)
        with atomic_file(manifest_path, "w") as fh:
            fh.write(json.dumps(manifest, indent=2) + "\n")
    meta = pq.ParquetFile(state / "input.parquet").metadata
    return state, [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]


def run_audit(queries, out_dir, index, *, columns: Columns = Columns(), top_k: int = 5, workers: int | None = None,
              show_progress: bool = True, project_license: str | None = None, executor: str = "local",
              ray_address: str | None = None) -> dict:
    from .pipeline import RayExecutor, make_executor
    from .report.summary import summarize, write_summary

    out_dir = Path(out_dir)
    if project_license:
        from .licensing.compatibility import check_project_license

        project_license = check_project_license(project_license)
    state, shard_rows = _prepare(queries, out_dir, columns, index.id, top_k, project_license)
    step = AuditStep(str(state), getattr(index, "url", None) or str(index.path), top_k, project_license)
    # matplotlib takes ~0.4 s to import: done while the workers trace, the plots cost less after
    plotting = threading.Thread(target=_import_plotting, daemon=True)
    plotting.start()
    try:
        with progress_bar("auditing", total=sum(shard_rows), enabled=show_progress, unit="snippets") as bar:
            bar.advance(sum(n for rank, n in enumerate(shard_rows) if step.done(rank)))  # finished before
            runner = make_executor(executor, workers, ray_address)
            try:
                runner.run(step, len(shard_rows), on_done=lambda rank, n: bar.advance(n))
            finally:
                if isinstance(runner, RayExecutor) and not ray_address:
                    runner.shutdown()
    finally:
        plotting.join()  # never left importing while the process exits
    flat = []
    with atomic_file(out_dir / "results.jsonl", "w", encoding="utf-8") as fh:
        for rank in range(len(shard_rows)):
            for rec in _read_part(step.part(rank)):
                result = rec["result"]  # a JSON text (a dict in parts written by earlier versions)
                fh.write((result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)) + "\n")
                flat.extend(rec["flat"])
    _write_parquet(out_dir / "results.parquet", flat)
    summary = summarize(flat, index.describe(), project_license)
    write_summary(out_dir, summary, flat)
    return {"inputs": summary["outputs"], "errors": summary["errors"], "matched": summary["matched"]}


def _import_plotting() -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
    except Exception:  # the summary's own import reports any problem
        pass


def _read_part(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _write_parquet(path: Path, rows: list[dict]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(name, getattr(pa, kind if kind != "bool" else "bool_")()) for name, kind in FLAT_COLUMNS])
    with atomic_file(path, "wb") as fh:
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), fh, compression="zstd")
