#!/usr/bin/env python
"""Where a warm trace spends its time, by phase, in wall-clock time.

The pieces are ``query_footprint.py``'s (verbatim, renamed and unseen 12-line pieces), traced
warm in one process. Each phase function of :mod:`auditor.matching.trace` and
:mod:`auditor.matching.verify` is wrapped in a timer (a few calls per query, so the timers
cost microseconds). cProfile is not used for the shares: it charges every Python-level call
and so inflated the tokeniser's share about twofold here. ``--cprofile N`` prints its top N
functions anyway, for finding hot spots inside a phase.

    cd /tmp && /work/main/.venv/bin/python /work/main/benchmarks/trace_profile.py [--index DIR]

Run it from outside the repository (see ``query_footprint.py``: the env index's fingerprint
depends on ``sys.path``).
"""
from __future__ import annotations

import argparse
from collections import Counter
import cProfile
import functools
from pathlib import Path
import pstats
import random
import sys
import time

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# (label, module, function): phases of a trace; an indented label is part of the one above
PHASES = [
    ("LSH lookup (signatures, bands, pairs)", "trace", "lsh_candidates"),
    ("re-rank on raw tokens", "trace", "ranked_candidates"),
    ("align candidates", "trace", "align"),
    ("  tokenise candidate regions", "verify", "tokenize"),
    ("  anchored blocks + statistics, compiled", "verify", "_compiled_pass"),
    ("    anchored blocks", "verify", "compiled_blocks"),
    ("  anchored blocks (re, numpy, rapidfuzz)", "verify", "_anchored_blocks"),
    ("    best diagonal (k-gram vote)", "verify", "best_diagonal"),
    ("    LCS (rapidfuzz)", "verify", "matching_blocks"),
    ("  block statistics (numpy)", "verify", "_block_stats"),
    ("tokenise the snippet", "trace", "tokenize"),
    ("traces (a second one when a second language family is plausible)", "trace", "_trace"),
    ("text tie-break", "trace", "text_similarity"),
    ("attribution", "trace", "attribute"),
]


def _timed(fn, label, acc):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            acc[label] += time.perf_counter() - t0
            acc["calls " + label] += 1
    return wrapper


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--index", type=Path, default=None, help="another index (default: the env index)")
    ap.add_argument("--kind", choices=("verbatim", "renamed", "unseen"), default=None,
                    help="only the pieces of this kind")
    ap.add_argument("--cprofile", type=int, default=0, metavar="N",
                    help="also run under cProfile and print the N functions with the most own time")
    from query_footprint import parse_with_kernels, pieces

    args = parse_with_kernels(ap, argv)

    from auditor import api
    from auditor.index.reader import Index
    import auditor.matching.trace as trace_mod
    import auditor.matching.verify as verify_mod

    path = args.index or api.ensure_env_index(show_progress=True)
    index = Index(path)
    snippets = pieces(index, args.queries, random.Random(0))
    if args.kind:
        snippets = [(kind, text) for kind, text in snippets if kind == args.kind]
    acc: Counter = Counter()
    modules = {"trace": trace_mod, "verify": verify_mod}
    for label, mod, name in PHASES:
        setattr(modules[mod], name, _timed(getattr(modules[mod], name), label, acc))
    for _, text in snippets[:5]:
        trace_mod.trace(index, text)  # warm the pages
    acc.clear()
    t0 = time.perf_counter()
    for _, text in snippets:
        trace_mod.trace(index, text)
    wall = time.perf_counter() - t0
    n = len(snippets)
    print(f"{n} warm traces against {len(index.windows):,} windows: {wall / n * 1000:.2f} ms a query on average")
    print(f"{'phase':<40} {'calls/query':>11} {'ms/query':>9} {'share':>6}")
    for label, _, _ in PHASES:
        print(f"{label:<40} {acc['calls ' + label] / n:>11.1f} {acc[label] / n * 1000:>9.2f} {acc[label] / wall:>6.0%}")
    if args.cprofile:
        prof = cProfile.Profile()
        prof.enable()
        for _, text in snippets:
            trace_mod.trace(index, text)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(args.cprofile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
