#!/usr/bin/env python
"""Where auditor's operating point comes from: a sweep on the dev split only.

Two sweeps over the labelled set of real packages (``dataset.py``) and the StarCoder2 set:
- *index parameters* (window, shingle, identifier/literal normalisation, LSH threshold):
  one index per setting, built without header scans (licensing does not change what is
  found), every dev case traced;
- *verification thresholds* (``VerifyConfig``): one index, every dev case traced per setting.

Printed per setting: recall@1 per clone type, false attribution on unseen code, on
boilerplate and on StarCoder2's low-BLEU generations, and build seconds. The test split is
never read here, so the figures ``run.py`` reports on it are not fitted.

    /work/venv/bin/python benchmarks/accuracy/sweep.py                 # both sweeps (~6 min)
    /work/venv/bin/python benchmarks/accuracy/sweep.py --only verify   # thresholds only
"""
from __future__ import annotations

import argparse
from collections import Counter
import json
import os
from pathlib import Path
import shutil
import sys
import tempfile
import time

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

# (label, FingerprintConfig overrides, LSH threshold)
_LSH = 0.2  # the default (auditor.config.LSHConfig)
INDEX_GRID = [
    ("default: shingle 5, window 32/16, identifiers normalised, LSH 0.2", {}, _LSH),
    ("shingle 3", {"shingle": 3}, _LSH),
    ("shingle 7", {"shingle": 7}, _LSH),
    ("window 16/8", {"window": 16, "stride": 8}, _LSH),
    ("window 64/32", {"window": 64, "stride": 32}, _LSH),
    ("literals normalised too", {"normalize_literals": True}, _LSH),
    ("identifiers kept", {"normalize_identifiers": False}, _LSH),
    ("LSH threshold 0.3 (before)", {}, 0.3),
    ("LSH threshold 0.5", {}, 0.5),
]
# (label, VerifyConfig overrides), each against the default
VERIFY_GRID = [
    ("default", {}),
    ("min_tokens 20, min_run 20 (before)", {"min_tokens": 20, "min_run": 20}),
    ("min_tokens 12", {"min_tokens": 12, "min_run": 12}),
    ("renamed_identity 0.1", {"renamed_identity": 0.1}),
    ("renamed_identity 0.4", {"renamed_identity": 0.4}),
    ("renamed_run 0.65", {"renamed_run": 0.65}),
    ("short_identity 0.7", {"short_identity": 0.7}),
    ("similar_run 17", {"similar_run": 17}),
    ("renamed rule off", {"renamed_run": 1.01}),
]

_STATE: dict = {}


def _trace_one(case):
    """Worker: (case id, top file id or None). Forked with the index path and overrides set."""
    from auditor.config import VerifyConfig
    from auditor.errors import AuditorError
    from auditor.index.reader import Index
    from auditor.matching.trace import trace

    if "index" not in _STATE:
        _STATE["index"] = Index(_STATE["path"])
    try:
        r = trace(_STATE["index"], case.snippet, top_k=1, verify_config=VerifyConfig(**_STATE["verify"]))
    except AuditorError:
        return case.case_id, None
    if not r.matches:
        return case.case_id, None
    m = r.matches[0]
    return case.case_id, _STATE["file_ids"].get((m.source.repo_name, m.source.path))


def evaluate(index_path: Path, file_ids: dict, cases: list, verify: dict, workers: int) -> Counter:
    from multiprocessing import get_context

    _STATE.clear()
    _STATE.update(path=str(index_path), file_ids=file_ids, verify=verify)
    with get_context("fork").Pool(workers) as pool:
        tops = dict(pool.map(_trace_one, cases, chunksize=16))
    c: Counter = Counter()
    for case in cases:
        if case.kind == "doc-text":
            continue
        top = tops[case.case_id]
        c[case.kind] += 1
        if case.positive and top is not None and top in case.source_file_ids:
            c[case.kind + ":ok"] += 1
        if case.negative and top is not None:
            c[case.kind + ":fa"] += 1
    return c


def build_index(files, out: Path, fp: dict, threshold: float, workers: int) -> tuple[dict, float]:
    from auditor.config import FingerprintConfig, IndexConfig, LSHConfig
    from auditor_method import AuditorMethod

    fingerprint = FingerprintConfig(**fp)
    config = IndexConfig(fingerprint, LSHConfig(threshold=threshold, num_perm=fingerprint.num_perm))
    method = AuditorMethod(out, None, workers=workers, scan_headers=False, index_config=config)
    t0 = time.perf_counter()
    method.build(files)
    return method.file_ids, time.perf_counter() - t0


def row(label: str, pk: Counter, sc: Counter | None, seconds: float | None) -> str:
    def r(c, k):
        return f"{c[k + ':ok'] / c[k]:.3f}" if c[k] else "-"

    def fa(c, k):
        return f"{c[k + ':fa'] / c[k]:.3f} ({c[k + ':fa']}/{c[k]})" if c and c[k] else "-"

    cells = [label] + [r(pk, k) for k in ("type1", "type2", "type3", "type4")]
    cells += [fa(pk, "unseen"), fa(pk, "boilerplate"), r(sc, "type1") if sc else "-", fa(sc, "unseen")]
    cells.append(f"{seconds:.1f}" if seconds is not None else "")
    return "| " + " | ".join(cells) + " |"


HEADER = ("| setting | type1 R@1 | type2 R@1 | type3 R@1 | type4 R@1 | FA unseen | FA boilerplate "
          "| StarCoder2 R@1 | StarCoder2 FA (low BLEU) | build s |\n|" + "---|" * 10)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=("index", "verify"), default=None)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--out", type=Path, default=None, help="also write the tables (Markdown) here")
    args = ap.parse_args(argv)

    import dataset
    from starcoder2_set import build_starcoder2_set

    files, cases, skipped, _ = dataset.build_dataset()
    if not files:
        print("sweep: skipped, no package could be fetched: " + "; ".join(skipped))
        return 0
    dev = [c for c in cases if c.split == "dev"]
    sc_files, sc_cases, _ = build_starcoder2_set()
    sc_dev = [c for c in sc_cases if c.split == "dev"]
    print(f"dev split: {len(dev):,} package cases, {len(sc_dev):,} StarCoder2 cases", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="sweep-"))
    out: list[str] = []
    try:
        if args.only in (None, "index"):
            out += ["**Index parameters** (dev split, default verification)", "", HEADER]
            for label, fp, threshold in INDEX_GRID:
                ids, secs = build_index(files, work / "pk", fp, threshold, args.workers)
                pk = evaluate(work / "pk" / "auditor-index", ids, dev, {}, args.workers)
                sc = None
                if sc_files:
                    sc_ids, _ = build_index(sc_files, work / "sc", fp, threshold, args.workers)
                    sc = evaluate(work / "sc" / "auditor-index", sc_ids, sc_dev, {}, args.workers)
                out.append(row(label, pk, sc, secs))
                print(out[-1], flush=True)
            out.append("")
        if args.only in (None, "verify"):
            out += ["**Verification thresholds** (dev split, default index)", "", HEADER]
            ids, secs = build_index(files, work / "pk", {}, _LSH, args.workers)
            sc_ids = None
            if sc_files:
                sc_ids, _ = build_index(sc_files, work / "sc", {}, _LSH, args.workers)
            for label, verify in VERIFY_GRID:
                pk = evaluate(work / "pk" / "auditor-index", ids, dev, verify, args.workers)
                sc = evaluate(work / "sc" / "auditor-index", sc_ids, sc_dev, verify, args.workers) if sc_ids else None
                out.append(row(f"{label} {json.dumps(verify) if verify else ''}".strip(), pk, sc, None))
                print(out[-1], flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = "\n".join(out) + "\n"
    if args.out:
        from auditor.atomic import atomic_file

        with atomic_file(args.out) as fh:
            fh.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
