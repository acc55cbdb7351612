#!/usr/bin/env python
"""Batch audit speed (issue 6: at least 200 snippets/s per core against an index of 100k or
more windows), on two workloads:

- ``starcoder2``: real model outputs. The 3,000 StarCoder2 3B/7B/15B generations of
  ``../shared/data/starcoder2-extraction`` (about 200 characters each, with their model and prompt
  columns), against an index of the 1,000 training fragments they were prompted from plus real
  Java from Debian source packages (``starcoder2_extraction.py``'s corpus, ~286k windows). About
  half of them are copies, most of a few lines. Baseline in the same process: datasketch
  ``MinHashLSH`` over the same documents, MinHash and lookup per generation (candidates only:
  it neither verifies nor attributes).
- ``pieces``: a worst case. ``query_footprint.py``'s 12-line pieces of the environment index
  (1.9M windows): nearly all verbatim or renamed copies, each verified against ~15 candidates.

For each, two figures:

- ``auditor audit`` as a user runs it, a new process with ``-j`` workers: snippets per second
  of wall time, process start, input preparation, summary and plots included; per core is that
  divided by the workers;
- the trace alone, warm, in this process on one core.

    cd /tmp && /work/main/.venv/bin/python /work/main/benchmarks/audit_speed.py [--workload starcoder2|pieces|both]

Run it from outside the repository (see ``query_footprint.py``). The index's files are read once
before each audit (``read_pages``): the figures are for an index in memory. The Debian tarballs are fetched
once into ``benchmarks/.cache`` (``fetch.py``); offline without them, the index holds the
fragments alone and the output says so.
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
TARGET = 200


def read_pages(index: Path) -> None:
    """Read every file of the index once, so that the audit timed next finds its pages in memory,
    as a batch audit soon does: a first run after other work can take twice as long while the
    kernel reads them from disk."""
    for p in sorted(Path(index).iterdir()):
        if p.is_file():
            with open(p, "rb") as fh:
                while fh.read(1 << 24):
                    pass


def run_audit_cli(queries: Path, index: Path, out: Path, workers: int, kernels: str, *extra: str) -> tuple[float, int]:
    """(seconds, result rows) of ``auditor audit`` run as a new process."""
    exe = shutil.which("auditor") or str(Path(sys.executable).parent / "auditor")
    t0 = time.perf_counter()
    subprocess.run([exe, "audit", str(queries), "--index", str(index), "-o", str(out), "-j", str(workers), "--quiet",
                    *extra], check=True, env={**os.environ, "AUDITOR_KERNELS": kernels}, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    return seconds, sum(1 for _ in open(out / "results.jsonl", encoding="utf-8"))


def trace_alone(index, texts: list[str]) -> float:
    """Seconds to trace every text once, warm, in this process."""
    from auditor.matching.trace import trace

    for text in texts[:5]:
        trace(index, text)  # warm the pages and the kernels
    t0 = time.perf_counter()
    for text in texts:
        trace(index, text)
    return time.perf_counter() - t0


def figures(name: str, index, n: int, audit_s: float, rows: int, trace_s: float, workers: int, **extra) -> dict:
    result = {"workload": name, "windows": len(index.windows), "snippets": n, "workers": workers,
              "audit_seconds": audit_s, "audit_snippets_per_s": n / audit_s,
              "audit_snippets_per_s_per_core": n / audit_s / workers, "results_rows": rows,
              "trace_snippets_per_s_one_core": n / trace_s, "target_per_core": TARGET, **extra}
    print(f"[{name}] index: {len(index.windows):,} windows; {n:,} snippets")
    print(f"[{name}] auditor audit -j {workers}: {audit_s:.1f} s, {n / audit_s:.1f} snippets/s "
          f"= {n / audit_s / workers:.1f} per core (process start, summary and plots included); {rows} results")
    print(f"[{name}] trace alone, warm, one core: {n / trace_s:.1f} snippets/s ({trace_s / n * 1000:.2f} ms each)")
    return result


def pieces_workload(args, work: Path) -> dict:
    from query_footprint import pieces

    from auditor import api
    from auditor.index.reader import Index

    path = args.index or api.ensure_env_index(show_progress=True)
    index = Index(path)
    snippets = pieces(index, args.pieces, random.Random(1))
    queries = work / "pieces.jsonl"
    with open(queries, "w", encoding="utf-8") as fh:
        for i, (kind, text) in enumerate(snippets):
            fh.write(json.dumps({"id": f"{kind}-{i}", "text": text}) + "\n")
    read_pages(path)
    audit_s, rows = run_audit_cli(queries, path, work / "out-pieces", args.workers, args.kernels)
    trace_s = trace_alone(index, [t for _, t in snippets])
    kinds = {k: sum(1 for kind, _ in snippets if kind == k) for k in ("verbatim", "renamed", "unseen")}
    return figures("pieces", index, len(snippets), audit_s, rows, trace_s, args.workers, index_path=str(path), kinds=kinds)


def starcoder2_workload(args, work: Path) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from fetch import fetch_debian_sources
    from starcoder2_extraction import (CACHE, DEBIAN_PACKAGES, DEFAULT_DATA, _minhash, distractor_files,
                                       load_rows, word_shingles)

    from auditor.index.builder import build
    from auditor.index.reader import Index
    from auditor.models import SourceFile

    rows = load_rows(DEFAULT_DATA, None)
    docs = [(f"starcoder2-extraction/{r['sample_id']}", f"{r['sample_id']}.java", r["prefix_250"] + r["suffix"])
            for r in rows]
    tarballs, reasons = fetch_debian_sources(DEBIAN_PACKAGES, CACHE)
    for reason in reasons:
        print(f"[starcoder2] distractors: {reason}", file=sys.stderr)
    docs += [(f"debian/{pkg}", path, text) for pkg, path, text in distractor_files(tarballs, None)]
    files = (SourceFile(blob_id=SourceFile.blob_id_of(text), repo_name=repo, path=path, content=text, language="Java")
             for repo, path, text in docs)
    index_dir = work / "starcoder2-index"
    t0 = time.perf_counter()
    build([str(DEFAULT_DATA.parent)] + [str(t) for t in tarballs], index_dir, files=files, workers=args.workers,
          scan_headers=False, show_progress=False)
    build_s = time.perf_counter() - t0
    gens = [{"id": f"{r['sample_id']}/{m}", "model": f"StarCoder2-{m.upper()}", "text": r[f"gen_{m}"],
             "prompt": r["prefix_100"]} for r in rows for m in ("3b", "7b", "15b")]
    queries = work / "generations.parquet"
    pq.write_table(pa.Table.from_pylist(gens), queries)
    read_pages(index_dir)
    audit_s, n_rows = run_audit_cli(queries, index_dir, work / "out-starcoder2", args.workers, args.kernels,
                                    "--model-column", "model", "--prompt-column", "prompt")
    summary = json.loads((work / "out-starcoder2" / "summary.json").read_text())
    index = Index(index_dir)
    texts = [g["text"] for g in gens]
    trace_s = trace_alone(index, texts)

    # datasketch: one MinHash per document (word 5-grams), MinHashLSH, one lookup per generation
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=0.1, num_perm=128)
    with lsh.insertion_session() as session:
        for i, (_, _, text) in enumerate(docs):
            session.insert(i, _minhash(word_shingles(text), 128), check_duplication=False)
    t0 = time.perf_counter()
    for text in texts:
        shingles = word_shingles(text)
        if shingles:
            lsh.query(_minhash(shingles, 128))
    baseline_s = time.perf_counter() - t0
    result = figures("starcoder2", index, len(gens), audit_s, n_rows, trace_s, args.workers,
                     documents=len(docs), distractor_tarballs=[t.name for t in tarballs], index_build_seconds=build_s,
                     matched=summary.get("matched"), datasketch_lookup_per_s_one_core=len(texts) / baseline_s)
    print(f"[starcoder2] datasketch MinHashLSH (t=0.1, whole documents), MinHash and lookup alone, one core: "
          f"{len(texts) / baseline_s:.1f} snippets/s; {len(docs):,} documents, {summary.get('matched')} outputs matched")
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workload", choices=("starcoder2", "pieces", "both"), default="both")
    ap.add_argument("--index", type=Path, default=None, help="pieces: another index (default: the env index)")
    ap.add_argument("--pieces", type=int, default=1000)
    ap.add_argument("-j", "--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, default=HERE / "results" / "audit_speed.json")
    ap.add_argument("--work", type=Path, default=None, help="keep the index, inputs and outputs here (default: a temp dir)")
    from query_footprint import parse_with_kernels

    args = parse_with_kernels(ap, argv)
    from auditor.atomic import atomic_file

    work = args.work or Path(tempfile.mkdtemp(prefix="auditor-audit-speed-"))
    if args.work:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    results = []
    try:
        if args.workload in ("starcoder2", "both"):
            results.append(starcoder2_workload(args, work))
        if args.workload in ("pieces", "both"):
            results.append(pieces_workload(args, work))
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    with atomic_file(args.json) as fh:
        fh.write(json.dumps({"kernels": args.kernels, "workloads": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
