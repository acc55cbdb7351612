#!/usr/bin/env python
"""Accuracy of auditor against the peers' methods, on the same labelled set, in one process.

Two sets: the labelled set built from real packages (``dataset.py``: Python, JavaScript, C
and Java; four clone types; unseen and boilerplate negatives) and the StarCoder2 extraction
set (``starcoder2_set.py``: real model generations). Every method indexes the same corpus
and answers the same cases; thresholds that a peer does not publish are calibrated on the
dev split, and everything reported is on the test split.

    /work/venv/bin/python benchmarks/accuracy/run.py              # full run (see benchmarks/README.md)
    /work/venv/bin/python benchmarks/accuracy/run.py --small      # the version CI runs
"""
from __future__ import annotations

import argparse
from datetime import datetime, timezone
import json
import math
import os
from pathlib import Path
import platform
import shutil
import sys
import tempfile
import time

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from cases import POSITIVE_KINDS, CorpusFile, Case  # noqa: E402
from metrics import Outcome, calibrate, tables  # noqa: E402

RESULTS = HERE.parent / "results"
ALL_METHODS = ("auditor", "copilot-exact-150", "dataportraits-50", "bm25-files", "winnowing-k23-w17",
               "minhash-lsh-files", "licoeval-striking")


def log(*a) -> None:
    print(*a, file=sys.stderr, flush=True)


def make_methods(names: list[str], workdir: Path, source_files, workers: int):
    import baselines as b
    from auditor_method import AuditorMethod

    auditor = AuditorMethod(workdir, source_files, workers=workers)
    made = [auditor, b.ExactSubstring(), b.NgramMembership(), b.BM25Files(), b.Winnowing(), b.MinHashLSHFiles(),
            b.StrikingSimilarity(candidates=auditor.candidates)]  # re-ranks auditor's candidates: built after it
    return [m for m in made if m.name in names or m is auditor]


def run_method(method, files: list[CorpusFile], cases: list[Case]) -> dict:
    t0 = time.perf_counter()
    method.build(files)
    build_s = time.perf_counter() - t0
    outcomes = []
    for case in cases:
        t = time.perf_counter()
        hits = method.query(case.snippet, case.language)
        dt = time.perf_counter() - t
        # auditor reports its own licence; a baseline is credited with its file's true one
        lic = method.last_license if hasattr(method, "last_license") else (
            files[hits[0].file_id].license if hits else None)
        outcomes.append(Outcome(case, hits, dt, lic))
    fixed = getattr(method, "fixed_threshold", None)
    dev = [o for o in outcomes if o.case.split == "dev" and (o.case.positive or o.case.negative)]
    threshold = fixed if fixed is not None else calibrate(dev)
    test = [o for o in outcomes if o.case.split == "test"]
    return {"build_seconds": round(build_s, 2), "threshold": threshold, "calibrated": fixed is None,
            "tables": tables(test, threshold), "outcomes": outcomes}


def evaluate(set_name: str, files, cases, names, workdir: Path, source_files, workers: int) -> dict:
    log(f"[{set_name}] {len(files):,} corpus files, {len(cases):,} cases "
        f"({sum(c.split == 'test' for c in cases):,} test)")
    methods = make_methods(names, workdir / set_name, source_files, workers)
    out = {}
    for m in methods:
        log(f"[{set_name}] {m.name}: building and querying ...")
        r = run_method(m, files, cases)
        out[m.name] = r
        a = r["tables"]["all"]
        log(f"[{set_name}] {m.name}: build {r['build_seconds']} s, threshold {r['threshold']:.4g}, "
            f"F1 {a['f1']:.3f}, recall@1 {a['recall@1']:.3f}, FA {a['false_attribution']:.3f}, "
            f"p50 {a['p50_ms']:.1f} ms")
    return out


def _fmt(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.3f}"


def markdown(results: dict) -> str:
    lines = []
    for set_name, by_method in results.items():
        kinds = [k for k in POSITIVE_KINDS if any(k in r["tables"]["by_type"] for r in by_method.values())]
        lines.append(f"**{set_name}** (test split; F1 / recall@1 per type; FA = false-attribution rate)\n")
        head = ["method"] + [f"{k} F1 / R@1" for k in kinds] + ["R@5 (all)", "precision (all)", "FA unseen",
                                                                  "FA boilerplate", "licence-correct",
                                                                  "doc-text attributed", "p50 / p99 ms",
                                                                  "build s", "threshold"]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))
        for name, r in by_method.items():
            t = r["tables"]
            cells = [name]
            for k in kinds:
                s = t["by_type"].get(k)
                cells.append(f"{_fmt(s['f1'])} / {_fmt(s['recall@1'])}" if s else "-")
            a = t["all"]
            neg = t["negatives"]
            cells += [_fmt(a["recall@5"]), _fmt(a["precision"]),
                      _fmt(neg.get("unseen", {}).get("false_attribution")),
                      _fmt(neg.get("boilerplate", {}).get("false_attribution")),
                      _fmt(a["licence_correct"]), _fmt(t.get("reported", {}).get("doc-text", {}).get("attributed")),
                      f"{a['p50_ms']:.1f} / {a['p99_ms']:.1f}", str(r["build_seconds"]),
                      f"{r['threshold']:.3g}{' (dev)' if r['calibrated'] else ''}"]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    sets = list(results)
    fig, axes = plt.subplots(1, len(sets) + 1, figsize=(6 * (len(sets) + 1), 4.5), squeeze=False)
    for ax, set_name in zip(axes[0], sets):
        by_method = results[set_name]
        kinds = [k for k in POSITIVE_KINDS if any(k in r["tables"]["by_type"] for r in by_method.values())]
        width = 0.8 / max(1, len(by_method))
        for i, (name, r) in enumerate(by_method.items()):
            f1 = [r["tables"]["by_type"].get(k, {}).get("f1", 0) or 0 for k in kinds]
            ax.bar(np.arange(len(kinds)) + i * width, f1, width, label=name)
        ax.set_xticks(np.arange(len(kinds)) + 0.4 - width / 2, kinds)
        ax.set_ylim(0, 1.05)
        ax.set_title(f"F1 per clone type: {set_name}")
        handles, labels = ax.get_legend_handles_labels()
    ax = axes[0][-1]
    first = results[sets[0]]
    names = list(first)
    fa = [[first[n]["tables"]["negatives"].get(k, {}).get("false_attribution", 0) for n in names]
          for k in ("unseen", "boilerplate")]
    x = np.arange(len(names))
    ax.bar(x - 0.2, fa[0], 0.4, label="unseen code")
    ax.bar(x + 0.2, fa[1], 0.4, label="boilerplate")
    ax.set_xticks(x, names, rotation=30, ha="right", fontsize=8)
    ax.set_title(f"False attributions on negatives: {sets[0]}")
    ax.legend(fontsize=8)
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)
    tmp.replace(path)


def _plain(results: dict) -> dict:
    return {s: {m: {k: v for k, v in r.items() if k != "outcomes"} for m, r in by_m.items()}
            for s, by_m in results.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--small", action="store_true", help="the small version CI runs (a few packages)")
    ap.add_argument("--methods", default=",".join(ALL_METHODS), help=f"comma list of {', '.join(ALL_METHODS)}")
    ap.add_argument("--no-starcoder2", action="store_true", help="skip the StarCoder2 extraction set")
    ap.add_argument("--no-packages", action="store_true", help="skip the labelled set of real packages")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None, help="results directory (default benchmarks/results)")
    ap.add_argument("--details", type=Path, default=None, help="write per-case outcomes (JSONL) here")
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.methods.split(",") if n.strip()]
    unknown = set(names) - set(ALL_METHODS)
    if unknown:
        ap.error(f"unknown methods: {', '.join(sorted(unknown))}")
    started = time.perf_counter()
    out_dir = args.out or RESULTS
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "accuracy_small" if args.small else "accuracy"

    import dataset
    from auditor_method import source_files_for

    files, cases, skipped, packages = dataset.build_dataset(small=args.small)
    for reason in skipped:
        log(f"skipped: {reason}")
    if not files or not any(c.positive for c in cases):
        print("accuracy: skipped, no package could be fetched: " + "; ".join(skipped))
        return 0
    work = Path(tempfile.mkdtemp(prefix="accuracy-"))
    results: dict = {}
    try:
        if not args.no_packages:
            results["packages"] = evaluate("packages", files, cases, names, work,
                                           source_files_for(packages, files), args.workers)
        if not args.no_starcoder2:
            from starcoder2_set import build_starcoder2_set

            limit = 150 if args.small else None
            sc_files, sc_cases, sc_skipped = build_starcoder2_set(limit=limit, distractors=not args.small)
            for reason in sc_skipped:
                log(f"starcoder2: {reason}")
            if sc_cases:
                results["starcoder2-15b"] = evaluate("starcoder2-15b", sc_files, sc_cases, names, work, None,
                                                     args.workers)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    if args.details:
        with open(args.details, "w", encoding="utf-8") as fh:
            for set_name, by_m in results.items():
                for m, r in by_m.items():
                    for o in r["outcomes"]:
                        fh.write(json.dumps({"set": set_name, "method": m, "case": o.case.case_id, "kind": o.case.kind,
                                             "language": o.case.language, "split": o.case.split,
                                             "truth": list(o.case.source_file_ids), "origin": o.case.origin,
                                             "hits": [[h.file_id, h.score] for h in o.hits],
                                             "ms": round(o.seconds * 1000, 2), "license": o.license,
                                             "truth_license": o.case.license}) + "\n")
    import subprocess

    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=HERE, capture_output=True, text=True).stdout.strip()
    doc = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "git_commit": commit, "small": args.small, "packages": packages, "skipped": skipped,
        "cases": {k: sum(c.kind == k for c in cases) for k in sorted({c.kind for c in cases})},
        "results": _plain(results),
        "seconds": round(time.perf_counter() - started, 1),
    }
    tmp = out_dir / f"{stem}.json.tmp"
    tmp.write_text(json.dumps(doc, indent=1, default=str) + "\n", encoding="utf-8")
    tmp.replace(out_dir / f"{stem}.json")
    plot(results, out_dir / f"{stem}.png")
    table = markdown(results)
    (out_dir / f"{stem}.md").write_text(table, encoding="utf-8")
    print(table)
    log(f"done in {doc['seconds']} s: {out_dir / (stem + '.json')}, {stem}.png, {stem}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
