#!/usr/bin/env python
"""Query cost on the embedded environment index (stdlib + installed distributions, ~1.3 M windows):
cold ``trace-snippet`` time, warm latency p50/p99, and resident memory per indexed window.

Snippets are 12-line pieces of indexed code files in any language (half verbatim, half with three names renamed) and
12-line pieces of this repository's own code, which is not in the index. Each is traced warm in one
process; the cold time is a new ``trace-snippet`` process per run. Memory is read from
``/proc/self/status`` after the warm queries: ``RssAnon`` is what the process holds itself,
``RssFile`` the index pages the kernel maps in and can drop.

    .venv/bin/python benchmarks/query_footprint.py            # builds the env index on first use
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
import random
import re
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def status() -> dict:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        k, _, v = line.partition(":")
        if k in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            out[k] = int(v.split()[0]) * 1024
    return out


def parse_with_kernels(ap: argparse.ArgumentParser, argv) -> argparse.Namespace:
    """``ap``'s arguments with ``--kernels`` added; warm traces in this process then use the
    compiled kernels or not, as it says (both give the same results)."""
    ap.add_argument("--kernels", choices=("compiled", "python"), default="compiled",
                    help="warm traces with the compiled lexer and MinHash (as audits and builds run them; "
                         "the default) or with re and numpy (as a one-off trace-snippet runs)")
    args = ap.parse_args(argv)
    from auditor.fingerprint import mode

    mode.use_compiled(args.kernels == "compiled")
    mode.warm_up()
    if args.kernels == "compiled":
        from auditor.matching import kernels

        kernels.warm_up()  # the trace's kernels too: their machine code is not what an index costs
    return args


_COMMENT_STARTS = ("#", "//", "/*", "*")


def pieces(index, n: int, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, text): verbatim and renamed pieces of indexed files, and unseen pieces of this repo."""
    out = []
    blobs = rng.sample(range(len(index.blob_ids)), min(len(index.blob_ids), 4 * n))
    for blob in blobs:
        rows = index.files_of(blob)
        if not rows or not rows[0].get("language"):
            continue
        lines = index.blob_text(blob).splitlines()
        code = [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith(_COMMENT_STARTS)]
        if len(code) < 30:
            continue
        start = rng.choice(code[:-15])
        text = "\n".join(lines[start: start + 12])
        if len(text) < 200:
            continue
        if len(out) % 2:
            names = sorted(set(re.findall(r"\b[a-z_][a-z0-9_]{3,}\b", text)))[:3]
            for k, name in enumerate(names):
                text = re.sub(rf"\b{name}\b", f"renamed{k}", text)
            out.append(("renamed", text))
        else:
            out.append(("verbatim", text))
        if len(out) >= n:
            break
    own = sorted((ROOT / "auditor").rglob("*.py"))
    for p in rng.sample(own, min(len(own), n // 2)):
        lines = p.read_text().splitlines()
        if len(lines) > 40:
            start = rng.randrange(10, len(lines) - 20)
            out.append(("unseen", "\n".join(lines[start: start + 12])))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--cold-runs", type=int, default=5)
    ap.add_argument("--index", type=Path, default=None, help="another index (default: the env index)")
    ap.add_argument("--json", type=Path, default=HERE / "results" / "query_footprint.json")
    ap.add_argument("--save-pieces", type=Path, default=None, help="write the pieces as JSONL (id, kind, text)")
    args = parse_with_kernels(ap, argv)

    from auditor import api
    from auditor.atomic import atomic_file
    from auditor.index.reader import Index
    from auditor.matching.trace import trace

    path = args.index or api.ensure_env_index(show_progress=True)
    before = status()
    index = Index(path)
    windows = len(index.windows)
    rng = random.Random(0)
    snippets = pieces(index, args.queries, rng)
    if args.save_pieces:
        with atomic_file(args.save_pieces) as fh:
            for i, (kind, text) in enumerate(snippets):
                fh.write(json.dumps({"id": f"{kind}-{i}", "kind": kind, "text": text}) + "\n")
    for _, text in snippets[:5]:
        trace(index, text)  # first touches of the index pages and the token cache
    times = {"verbatim": [], "renamed": [], "unseen": []}
    found = {"verbatim": 0, "renamed": 0, "unseen": 0}
    for kind, text in snippets:
        t0 = time.perf_counter()
        r = trace(index, text)
        times[kind].append(time.perf_counter() - t0)
        found[kind] += bool(r.matches)
    after = status()
    all_ms = np.array([t for v in times.values() for t in v]) * 1000

    exe = shutil.which("trace-snippet") or str(Path(sys.executable).parent / "trace-snippet")
    probe = snippets[0][1]
    cold = []
    for _ in range(args.cold_runs):
        t0 = time.perf_counter()
        subprocess.run([exe, "--index", str(path), "-"], input=probe, text=True, capture_output=True, check=False)
        cold.append(time.perf_counter() - t0)

    anon = after["RssAnon"]
    result = {
        "index": str(path), "windows": windows, "kernels": args.kernels,
        "queries": {k: len(v) for k, v in times.items()},
        "matched": found, "warm_ms": {"p50": float(np.percentile(all_ms, 50)), "p99": float(np.percentile(all_ms, 99)),
                                      **{f"p50_{k}": float(np.median(v) * 1000) for k, v in times.items() if v}},
        "cold_s": {"min": min(cold), "median": float(np.median(cold)), "max": max(cold)} if cold else None,
        "rss_bytes": after, "rss_before_index": before,
        "anon_bytes_per_window": anon / windows,
        "anon_bytes_per_window_beyond_start": (anon - before["RssAnon"]) / windows,
    }
    print(f"index: {windows:,} windows ({path})")
    print(f"warm latency over {len(all_ms)} queries: p50 {result['warm_ms']['p50']:.1f} ms, "
          f"p99 {result['warm_ms']['p99']:.1f} ms; by kind p50: "
          + ", ".join(f"{k} {np.median(v) * 1000:.1f} ms ({found[k]}/{len(v)} matched)" for k, v in times.items() if v))
    if cold:
        print(f"cold trace-snippet, {args.cold_runs} new processes: median {np.median(cold):.2f} s "
              f"(min {min(cold):.2f}, max {max(cold):.2f})")
    print(f"resident after the queries: RssAnon {anon / 1e6:.0f} MB ({anon / windows:.0f} B/window; "
          f"{(anon - before['RssAnon']) / 1e6:.0f} MB, {(anon - before['RssAnon']) / windows:.0f} B/window beyond the "
          f"process before opening the index), RssFile {after['RssFile'] / 1e6:.0f} MB (index pages, droppable)")
    with atomic_file(args.json) as fh:
        fh.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
