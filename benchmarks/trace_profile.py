#!/usr/bin/env python
"""Where a warm trace spends its time: the same pieces as ``query_footprint.py`` (verbatim,
renamed and unseen 12-line pieces), traced warm in one process under cProfile, with the
time of each phase of :func:`auditor.matching.trace.trace` (inclusive, summed over all
queries, and per query).

    cd /tmp && /work/main/.venv/bin/python /work/main/benchmarks/trace_profile.py [--index DIR] [--top 25]

Run it from outside the repository (see ``query_footprint.py``: the env index's fingerprint
depends on ``sys.path``).
"""
from __future__ import annotations

import argparse
import cProfile
from pathlib import Path
import pstats
import random
import sys
import time

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# (label, module file suffix, function name): the phases of a trace, inclusive of what they call
PHASES = [
    ("trace (all)", "matching/trace.py", "trace"),
    ("tokenise the snippet", "fingerprint/tokens.py", "tokenize"),  # every call: snippet, re-rank and regions
    ("LSH lookup (signatures, bands, pairs)", "matching/trace.py", "lsh_candidates"),
    ("  band postings", "index/reader.py", "_postings"),
    ("re-rank on raw tokens", "matching/trace.py", "ranked_candidates"),
    ("  file rows (JSON)", "index/reader.py", "files_of"),
    ("align candidates", "matching/verify.py", "align"),
    ("  anchored blocks (diagonal + LCS)", "matching/verify.py", "_anchored_blocks"),
    ("    best diagonal (k-gram vote)", "matching/verify.py", "best_diagonal"),
    ("    LCS (rapidfuzz)", "matching/verify.py", "matching_blocks"),
    ("  block stats", "matching/verify.py", "_block_stats"),
    ("text tie-break", "matching/trace.py", "text_similarity"),
    ("attribution", "attribution/__init__.py", "attribute"),
]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--index", type=Path, default=None, help="another index (default: the env index)")
    ap.add_argument("--top", type=int, default=0, help="also print the N functions with the most own time")
    args = ap.parse_args(argv)

    from auditor import api
    from auditor.index.reader import Index
    from auditor.matching.trace import trace
    from query_footprint import pieces

    path = args.index or api.ensure_env_index(show_progress=True)
    index = Index(path)
    snippets = pieces(index, args.queries, random.Random(0))
    for _, text in snippets[:5]:
        trace(index, text)  # warm the pages
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for _, text in snippets:
        trace(index, text)
    prof.disable()
    wall = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    n = len(snippets)
    print(f"{n} warm traces against {len(index.windows):,} windows in {wall:.2f} s under cProfile "
          f"({wall / n * 1000:.1f} ms a query; profiling adds overhead, so read the shares)")
    print(f"{'phase':<42} {'calls':>8} {'total s':>8} {'ms/query':>9} {'share':>6}")
    total = None
    for label, suffix, name in PHASES:
        hits = [(k, v) for k, v in stats.stats.items() if k[0].endswith(suffix) and k[2] == name]
        if not hits:
            continue
        calls = sum(v[1] for _, v in hits)
        cum = sum(v[3] for _, v in hits)
        total = total or cum
        print(f"{label:<42} {calls:>8} {cum:>8.2f} {cum / n * 1000:>9.2f} {cum / total:>6.0%}")
    if args.top:
        print()
        stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
