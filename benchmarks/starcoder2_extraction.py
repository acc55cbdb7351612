#!/usr/bin/env python
"""Accuracy and speed of ``auditor`` on real StarCoder2 extraction outputs (Java).

Corpus: one document per row of ``starcoder2_extraction_java.parquet`` (``prefix_250 + suffix``),
plus a distractor corpus of real Java code from Debian source packages (cached under
``benchmarks/.cache/``). Queries: each base-model generation, traced alone.
Baselines on the same corpus and queries: whole-document datasketch MinHash LSH (two
thresholds) and datasketch MinHashLSHEnsemble (containment).

    /work/venv/bin/python benchmarks/starcoder2_extraction.py            # full run
    /work/venv/bin/python benchmarks/starcoder2_extraction.py --limit 100 --no-distractors  # quick

See benchmarks/README.md for what is measured and the latest results.
"""
from __future__ import annotations

import argparse
from datetime import datetime, timezone
import json
import os
from pathlib import Path
import platform
import re
import shutil
import sys
import tarfile
import tempfile
import time

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_DATA = REPO / ".." / "shared" / "data" / "starcoder2-extraction" / "starcoder2_extraction_java.parquet"
CACHE = HERE / ".cache"
OUT = HERE / "out"
RESULTS = HERE / "results" / "starcoder2_extraction.json"

sys.path.insert(0, str(HERE))
from fetch import fetch_debian_sources, git_state  # noqa: E402  (benchmarks/fetch.py, shared with licensing_accuracy.py)

# Debian source packages with plenty of real Java; the first ones that exist are used.
DEBIAN_PACKAGES = ("guava-libraries", "commons-io", "junit4", "libcommons-lang3-java",
                   "libcommons-collections4-java", "commons-text")
MODELS = ("15b", "7b", "3b")
LOW_BLEU = 20.0
WS = re.compile(r"\s+")
LICENCE_WORDS = re.compile(r"licen[cs]|copyright|warrant|liabilit|redistribut|permission is hereby|merchantab", re.I)


def squash(s: str) -> str:
    """Whitespace-insensitive form used for every containment test."""
    return WS.sub("", s)


def log(*a) -> None:
    print(*a, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------
# Corpus
# ----------------------------------------------------------------------------------------
def load_rows(path: Path, limit: int | None) -> list[dict]:
    import pyarrow.parquet as pq

    rows = pq.read_table(path).to_pylist()
    return rows[:limit] if limit else rows


def distractor_files(tarballs: list[Path], max_files: int | None):
    """(package, path, content) of every .java file in the tarballs."""
    out = []
    for tb in tarballs:
        pkg = tb.name.split(".orig")[0]
        with tarfile.open(tb) as tf:
            for m in tf:
                if m.isfile() and m.name.endswith(".java") and m.size < 2_000_000:
                    data = tf.extractfile(m).read()
                    out.append((pkg, m.name, data.decode("utf-8", "replace")))
                    if max_files and len(out) >= max_files:
                        return out
    return out


def comment_share(context: str, start: int) -> float:
    """Share of the non-space characters of ``context[start:]`` that lie in Java comments.

    ``context`` is prefix + generation; the prefix is cut mid-file, so a ``*/`` before
    any ``/*`` means it starts inside a block comment.
    """
    n = len(context)
    inside = np.zeros(n, dtype=bool)
    first_close, first_open = context.find("*/"), context.find("/*")
    i = 0
    if first_close >= 0 and (first_open < 0 or first_close < first_open):
        inside[: first_close + 2] = True
        i = first_close + 2
    while i < n:
        c = context[i]
        if context.startswith("//", i):
            j = context.find("\n", i)
            j = n if j < 0 else j
            inside[i:j] = True
            i = j
        elif context.startswith("/*", i):
            j = context.find("*/", i + 2)
            j = n if j < 0 else j + 2
            inside[i:j] = True
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and context[j] != c and context[j] != "\n":
                j += 2 if context[j] == "\\" else 1
            i = j + 1
        else:
            i += 1
    # The prefix may start inside a comment with no "/*" or "*/" in view: count lines that
    # look like comment lines ("* ...", "// ...") as comments too.
    pos = 0
    for line in context.splitlines(keepends=True):
        if line.lstrip().startswith(("*", "//", "/*")) and not line.lstrip().startswith("*/;"):
            inside[pos:pos + len(line)] = True
        pos += len(line)
    tail = context[start:]
    mask = np.array([not ch.isspace() for ch in tail], dtype=bool)
    if not mask.any():
        return 0.0
    return float(inside[start:][mask].mean())


# ----------------------------------------------------------------------------------------
# auditor
# ----------------------------------------------------------------------------------------
def wait_for_resolve(max_wait: float) -> None:
    target = REPO / "auditor" / "licensing" / "resolve.py"
    t0 = time.time()
    while not target.exists():
        if time.time() - t0 > max_wait:
            raise SystemExit(f"{target} does not exist yet (auditor.index.builder.build needs it)")
        log(f"waiting for {target} ...")
        time.sleep(30)


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run_auditor(docs, queries, out_dir: Path, workers: int, sources: list[str]) -> dict:
    from auditor.api import trace_snippet
    from auditor.errors import AuditorError
    from auditor.index.builder import build
    from auditor.index.reader import Index
    from auditor.models import SourceFile

    def files():
        for d in docs:
            yield SourceFile(blob_id=SourceFile.blob_id_of(d["content"]), repo_name=d["repo_name"],
                             path=d["path"], content=d["content"], language="Java")

    # ``sources`` are only recorded in the manifest, but build() describes (so needs) real paths:
    # the dataset directory (its parquet has no "content" column) and the Debian tarballs.
    manifest, stats = build(sources, out_dir, files=files(), workers=workers, scan_headers=False, show_progress=False)
    log(f"auditor build: {stats.summary()}")
    index = Index(out_dir)
    # warm-up: loads files.parquet and touches the mmaps, so latencies below are warm
    trace_snippet(queries[0]["text"], index, top_k=5)
    results = []
    for q in queries:
        t0 = time.perf_counter()
        err = None
        try:
            r = trace_snippet(q["text"], index, top_k=5)
        except AuditorError as e:
            r, err = None, str(e)
        dt = time.perf_counter() - t0
        if r is None:
            results.append({"verdict": "none", "ranked": [], "seconds": dt, "note": err, "matches": []})
            continue
        results.append({
            "verdict": r.verdict, "seconds": dt, "note": r.note, "tokens": r.snippet.tokens,
            "language": r.snippet.language,
            "ranked": [(m.source.repo_name, m.source.path) for m in r.matches],
            "matches": [{"repo_name": m.source.repo_name, "verdict": m.verdict, "score": m.score,
                         "coverage": m.coverage, "identity": m.identity, "longest_run": m.longest_run,
                         "also_in": len(m.also_in)} for m in r.matches],
        })
    return {
        "build": {"seconds": stats.seconds, "files": stats.files, "blobs": stats.blobs, "windows": stats.windows,
                  "bytes": stats.bytes, "duplicate_files": stats.duplicate_files, "too_short": stats.too_short,
                  "files_per_s": stats.files / stats.seconds, "mb_per_s": stats.bytes / 1e6 / stats.seconds,
                  "index_bytes": dir_size(out_dir), "config": manifest["config"]},
        "results": results,
    }


# ----------------------------------------------------------------------------------------
# datasketch baselines
# ----------------------------------------------------------------------------------------
SHINGLE_WORDS = 5


def word_shingles(text: str) -> set[bytes]:
    """Word 5-grams over whitespace-separated tokens (a text of < 5 words is one shingle)."""
    words = text.split()
    if not words:
        return set()
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words).encode("utf-8", "surrogateescape")}
    return {" ".join(words[i:i + SHINGLE_WORDS]).encode("utf-8", "surrogateescape")
            for i in range(len(words) - SHINGLE_WORDS + 1)}


def _minhash(shingles: set[bytes], num_perm: int):
    from datasketch import MinHash

    m = MinHash(num_perm=num_perm)
    if shingles:
        m.update_batch(list(shingles))
    return m


def _query_baseline(queries, keys, num_perm: int, rank) -> list[dict]:
    """Time one baseline per query: ``rank(minhash, shingles)`` gives its top 5 document indices."""
    res = []
    for q in queries:
        t2 = time.perf_counter()
        s = word_shingles(q["text"])
        ranked = rank(_minhash(s, num_perm), s) if s else []
        res.append({"seconds": time.perf_counter() - t2, "ranked": [keys[i] for i in ranked],
                    "verdict": "match" if ranked else "none"})
    return res


def run_baselines(docs, queries, thresholds, ensemble_threshold: float, num_perm: int = 128) -> dict:
    from datasketch import MinHashLSH, MinHashLSHEnsemble

    out = {}
    t0 = time.perf_counter()
    sh = [word_shingles(d["content"]) for d in docs]
    mh = [_minhash(s, num_perm) for s in sh]
    t_sig = time.perf_counter() - t0
    keys = [(d["repo_name"], d["path"]) for d in docs]
    sizes = [max(1, len(s)) for s in sh]

    for t in thresholds:
        t1 = time.perf_counter()
        lsh = MinHashLSH(threshold=t, num_perm=num_perm)
        with lsh.insertion_session() as sess:
            for i, m in enumerate(mh):
                sess.insert(i, m, check_duplication=False)
        t_ins = time.perf_counter() - t1
        res = _query_baseline(queries, keys, num_perm,
                              lambda m, s: sorted(lsh.query(m), key=lambda i: (-m.jaccard(mh[i]), i))[:5])
        out[f"datasketch MinHashLSH t={t}"] = {
            "build": {"seconds": t_sig + t_ins, "signature_seconds": t_sig, "insert_seconds": t_ins,
                      "threshold": t, "num_perm": num_perm, "bands_rows": [lsh.b, lsh.r]},
            "results": res,
        }
        log(f"baseline MinHashLSH t={t}: build {t_sig + t_ins:.1f} s")

    # Containment: datasketch's LSH Ensemble (what DESIGN.md measured at .97 on verbatim snippets).
    t1 = time.perf_counter()
    ens = MinHashLSHEnsemble(threshold=ensemble_threshold, num_perm=num_perm, num_part=16)
    ens.index([(i, mh[i], sizes[i]) for i in range(len(docs))])
    t_ins = time.perf_counter() - t1
    def by_containment(m, s):
        def containment(i):
            j = m.jaccard(mh[i])
            return j * (len(s) + sizes[i]) / ((1 + j) * len(s))

        return sorted(ens.query(m, len(s)), key=lambda i: (-containment(i), i))[:5]

    res = _query_baseline(queries, keys, num_perm, by_containment)
    out[f"datasketch LSHEnsemble c={ensemble_threshold}"] = {
        "build": {"seconds": t_sig + t_ins, "signature_seconds": t_sig, "insert_seconds": t_ins,
                  "containment_threshold": ensemble_threshold, "num_perm": num_perm, "num_part": 16},
        "results": res,
    }
    log(f"baseline LSHEnsemble: build {t_sig + t_ins:.1f} s")
    return out


# ----------------------------------------------------------------------------------------
# Scoring
# ----------------------------------------------------------------------------------------
def score(method_results: list[dict], queries: list[dict], squashed_doc: dict) -> dict:
    """recall@1/@5 on exact reproductions, attribution rate on low-BLEU generations, latency."""
    per_model = {}
    for model in sorted({q["model"] for q in queries}, key=MODELS.index):
        idx = [i for i, q in enumerate(queries) if q["model"] == model]
        exact = [i for i in idx if queries[i]["em"] == 1]
        low = [i for i in idx if queries[i]["bleu"] < LOW_BLEU]

        def hit(i, k):
            g = queries[i]["squashed"]
            return any(g in squashed_doc[key] for key in method_results[i]["ranked"][:k])

        def hit_row(i, k):  # only dataset rows count (not distractors)
            g = queries[i]["squashed"]
            return any(key[0].startswith("starcoder2-extraction/") and g in squashed_doc[key]
                       for key in method_results[i]["ranked"][:k])

        code = [i for i in exact if not queries[i]["doc_text"]]
        unique = [i for i in exact if queries[i]["rows_containing"] == 1]
        common = [i for i in exact if queries[i]["rows_containing"] > 1]
        very = [i for i in exact if queries[i]["rows_containing"] > 60]
        lat = np.array([method_results[i]["seconds"] for i in idx]) * 1000

        def rate(sel, f):
            return round(sum(map(f, sel)) / len(sel), 4) if sel else None

        attributed = [i for i in low if method_results[i]["verdict"] != "none"]
        per_model[model] = {
            "queries": len(idx), "exact": len(exact), "low_bleu": len(low),
            "recall@1": rate(exact, lambda i: hit(i, 1)),
            "recall@5": rate(exact, lambda i: hit(i, 5)),
            "recall@1_dataset_rows_only": rate(exact, lambda i: hit_row(i, 1)),
            "recall@1_code_only": rate(code, lambda i: hit(i, 1)), "exact_code_only": len(code),
            "recall@1_unique": rate(unique, lambda i: hit(i, 1)), "exact_unique": len(unique),
            "recall@1_common": rate(common, lambda i: hit(i, 1)), "exact_common": len(common),
            "recall@1_over60": rate(very, lambda i: hit(i, 1)), "exact_over60": len(very),
            "attribution_rate_low_bleu": rate(low, lambda i: method_results[i]["verdict"] != "none"),
            "low_bleu_attributed": len(attributed),
            "low_bleu_attributed_but_contained": sum(hit(i, 5) for i in attributed),
            "any_match_rate_all": rate(idx, lambda i: method_results[i]["verdict"] != "none"),
            "latency_ms_p50": round(float(np.percentile(lat, 50)), 3),
            "latency_ms_p99": round(float(np.percentile(lat, 99)), 3),
            "latency_ms_mean": round(float(lat.mean()), 3),
        }
    return per_model


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="starcoder2_extraction_java.parquet")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N rows (quick run)")
    ap.add_argument("--no-distractors", action="store_true", help="index only the dataset rows")
    ap.add_argument("--max-distractors", type=int, default=None, help="cap on distractor files")
    ap.add_argument("--models", default="15b,7b,3b", help="generations to trace (comma list of 3b,7b,15b)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--thresholds", default="0.5,0.1", help="MinHashLSH thresholds of the baseline")
    ap.add_argument("--ensemble-threshold", type=float, default=0.5, help="LSHEnsemble containment threshold")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--index-dir", type=Path, default=None, help="where to build the index (default: a temp dir)")
    ap.add_argument("--json", type=Path, default=RESULTS, help="results file")
    ap.add_argument("--details", type=Path, default=OUT / "starcoder2_extraction_queries.jsonl",
                    help="per-query records (for miss analysis)")
    ap.add_argument("--wait-for-resolve", type=float, default=600, help="seconds to wait for licensing/resolve.py")
    args = ap.parse_args(argv)
    t_start = time.perf_counter()

    if not args.data.is_file():
        raise SystemExit(f"data file not found: {args.data} (give --data)")
    rows = load_rows(args.data, args.limit)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    log(f"{len(rows)} rows from {args.data}")

    docs = []
    for r in rows:
        content = r["prefix_250"] + r["suffix"]
        docs.append({"kind": "row", "repo_name": f"starcoder2-extraction/{r['sample_id']}",
                     "path": f"{r['sample_id']}.java", "content": content})
    distractor_info = {"enabled": not args.no_distractors, "packages": [], "skipped": [], "files": 0}
    if not args.no_distractors:
        tarballs, reasons = fetch_debian_sources(DEBIAN_PACKAGES, CACHE)
        for r in reasons:
            log(f"distractors: {r}")
        distractor_info["skipped"] = reasons
        distractor_info["packages"] = [t.name for t in tarballs]
        distractor_info["tarballs"] = [str(t) for t in tarballs]
        if not tarballs:
            log("distractors: none available; running without them")
        for pkg, path, content in distractor_files(tarballs, args.max_distractors):
            docs.append({"kind": "distractor", "repo_name": f"debian/{pkg}", "path": path, "content": content})
        distractor_info["files"] = sum(d["kind"] == "distractor" for d in docs)
        log(f"distractors: {distractor_info['files']} Java files from {', '.join(distractor_info['packages'])}")

    squashed_doc = {(d["repo_name"], d["path"]): squash(d["content"]) for d in docs}
    row_squashed = [squashed_doc[(d["repo_name"], d["path"])] for d in docs if d["kind"] == "row"]

    queries = []
    for r in rows:
        ctx = r["prefix_250"]
        for m in models:
            g = r[f"gen_{m}"]
            sq = squash(g)
            q = {"sample_id": r["sample_id"], "model": m, "text": g, "squashed": sq, "em": r[f"em_{m}"],
                 "bleu": r[f"bleu_{m}"], "comment_share": round(comment_share(ctx + g, len(ctx)), 3)}
            q["doc_text"] = q["comment_share"] > 0.5
            q["licence_text"] = q["doc_text"] and bool(LICENCE_WORDS.search(g))
            q["rows_containing"] = sum(sq in d for d in row_squashed) if q["em"] == 1 else None
            queries.append(q)
    log(f"{len(queries)} queries ({', '.join(models)})")

    wait_for_resolve(args.wait_for_resolve)
    import auditor

    tmp = None
    if args.index_dir is None:
        tmp = tempfile.mkdtemp(prefix="auditor-bench-")
        index_dir = Path(tmp) / "index"
    else:
        index_dir = args.index_dir
    try:
        aud = run_auditor(docs, queries, index_dir, args.workers,
                          [str(args.data.parent)] + [str(t) for t in distractor_info.get("tarballs", [])])
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    methods = {"auditor": aud}
    if not args.no_baseline:
        thresholds = [float(x) for x in args.thresholds.split(",") if x.strip()]
        methods.update(run_baselines(docs, queries, thresholds, args.ensemble_threshold))

    scores = {name: score(m["results"], queries, squashed_doc) for name, m in methods.items()}

    # Commonness of the exact reproductions and licence/doc text, per model.
    commonness, doc_text, miss_reasons = {}, {}, {}
    for m in models:
        ex = [q for q in queries if q["model"] == m and q["em"] == 1]
        rc = np.array([q["rows_containing"] for q in ex]) if ex else np.zeros(0)
        commonness[m] = {"exact": len(ex), "in_1_row": int((rc == 1).sum()), "in_0_rows": int((rc == 0).sum()),
                         "in_2_10_rows": int(((rc >= 2) & (rc <= 10)).sum()),
                         "in_11_60_rows": int(((rc > 10) & (rc <= 60)).sum()), "in_over_60_rows": int((rc > 60).sum()),
                         "median_rows": float(np.median(rc)) if len(rc) else None}
        qi = [i for i, q in enumerate(queries) if q["model"] == m]
        dt = [i for i in qi if queries[i]["doc_text"]]
        verdicts: dict[str, int] = {}
        for i in dt:
            v = aud["results"][i]["verdict"]
            verdicts[v] = verdicts.get(v, 0) + 1
        dt_ex = [i for i in dt if queries[i]["em"] == 1]
        ev: dict[str, int] = {}
        for i in dt_ex:
            v = aud["results"][i]["verdict"]
            ev[v] = ev.get(v, 0) + 1
        lic = [i for i in dt if queries[i]["licence_text"]]
        lv: dict[str, int] = {}
        for i in lic:
            v = aud["results"][i]["verdict"]
            lv[v] = lv.get(v, 0) + 1
        doc_text[m] = {"generations": len(dt), "auditor_verdicts": verdicts,
                       "exact_reproductions": len(dt_ex), "auditor_verdicts_exact": ev,
                       "licence_generations": len(lic), "licence_auditor_verdicts": lv,
                       "licence_exact_reproductions": sum(queries[i]["em"] == 1 for i in lic)}
        # Why auditor missed exact reproductions at rank 1.
        reasons: dict[str, int] = {}
        for i in qi:
            q, a = queries[i], aud["results"][i]
            if q["em"] != 1 or (a["ranked"] and q["squashed"] in squashed_doc[a["ranked"][0]]):
                continue
            if a["verdict"] == "none":
                why = "too few code tokens" if (a.get("note") or "").startswith("the snippet has") else "no match"
            else:
                why = "wrong top match"
            why += " (licence/doc text)" if q["doc_text"] else " (code)"
            reasons[why] = reasons.get(why, 0) + 1
        miss_reasons[m] = dict(sorted(reasons.items(), key=lambda kv: -kv[1]))

    # Per-query details for miss analysis.
    args.details.parent.mkdir(parents=True, exist_ok=True)
    with open(args.details, "w") as fh:
        for i, q in enumerate(queries):
            rec = {k: q[k] for k in ("sample_id", "model", "text", "em", "bleu", "comment_share", "doc_text",
                                     "licence_text", "rows_containing")}
            a = aud["results"][i]
            rec["auditor"] = {k: a.get(k) for k in ("verdict", "note", "tokens", "language", "matches", "seconds")}
            rec["auditor"]["top_contains"] = [q["squashed"] in squashed_doc[k] for k in a["ranked"]]
            rec["auditor"]["own_rank"] = next((j + 1 for j, k in enumerate(a["ranked"])
                                               if k[0] == f"starcoder2-extraction/{q['sample_id']}"), None)
            for name, mres in methods.items():
                if name != "auditor":
                    rec[name] = {"ranked": mres["results"][i]["ranked"][:1],
                                 "top_contains": [q["squashed"] in squashed_doc[k] for k in mres["results"][i]["ranked"]]}
            fh.write(json.dumps(rec) + "\n")

    import datasketch
    versions = {"auditor": auditor.__version__, "datasketch": datasketch.__version__, "numpy": np.__version__,
                "python": platform.python_version()}
    git = git_state(REPO)
    if git:
        versions["git_commit"], versions["git_dirty"] = git["commit"], git["dirty"]
    result = {
        "benchmark": "starcoder2-extraction-java",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "processor": platform.processor()},
        "versions": versions,
        "command": " ".join([Path(sys.executable).as_posix(), "benchmarks/starcoder2_extraction.py", *(argv or sys.argv[1:])]),
        "parameters": {"data": str(args.data), "rows": len(rows), "limit": args.limit, "models": models,
                       "top_k": 5, "low_bleu": LOW_BLEU, "workers": args.workers,
                       "baseline_shingles": f"whitespace tokens, word {SHINGLE_WORDS}-grams, one MinHash per document",
                       "baseline_thresholds": args.thresholds, "ensemble_threshold": args.ensemble_threshold,
                       "doc_text_rule": "comment_share > 0.5 (share of non-space chars of the generation inside "
                                        "Java comments, scanned over prefix_250 + generation)"},
        "corpus": {"rows": len(rows), "distractors": distractor_info, "documents": len(docs),
                   "bytes": sum(len(d["content"].encode()) for d in docs)},
        "build": {name: m["build"] for name, m in methods.items()},
        "scores": scores,
        "commonness_of_exact_reproductions": commonness,
        "doc_text": doc_text,
        "auditor_miss_reasons": miss_reasons,
        "total_seconds": round(time.perf_counter() - t_start, 1),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(markdown(result))
    log(f"wrote {args.json} and {args.details} in {result['total_seconds']} s")
    return 0


def markdown(res: dict) -> str:
    lines = []
    for model, _ in res["commonness_of_exact_reproductions"].items():
        lines += [f"### {model} generations ({res['corpus']['rows']} rows, {res['corpus']['distractors']['files']} "
                  f"distractor files)", "",
                  "| method | recall@1 | recall@5 | recall@1 code-only | recall@1 unique / common | "
                  "attribution rate (BLEU<20) | p50 / p99 ms | build s |",
                  "|---|---|---|---|---|---|---|---|"]
        for name, sc in res["scores"].items():
            s = sc[model]
            b = res["build"][name]
            lines.append(
                f"| {name} | {_f(s['recall@1'])} | {_f(s['recall@5'])} | {_f(s['recall@1_code_only'])} "
                f"(n={s['exact_code_only']}) | {_f(s['recall@1_unique'])} / {_f(s['recall@1_common'])} | "
                f"{_f(s['attribution_rate_low_bleu'])} ({s['low_bleu_attributed']}/{s['low_bleu']}) | "
                f"{s['latency_ms_p50']:.2f} / {s['latency_ms_p99']:.2f} | {b['seconds']:.1f} |")
        c = res["commonness_of_exact_reproductions"][model]
        d = res["doc_text"][model]
        lines += ["", f"Exact reproductions: {c['exact']}; rows containing them: 1 row {c['in_1_row']}, "
                      f"2–10 {c['in_2_10_rows']}, 11–60 {c['in_11_60_rows']}, >60 {c['in_over_60_rows']} "
                      f"(0: {c['in_0_rows']}). Licence/doc-text generations: {d['generations']} "
                      f"(auditor verdicts {d['auditor_verdicts']}); of them exact reproductions: "
                      f"{d['exact_reproductions']} ({d['auditor_verdicts_exact']}). Licence text among them: "
                      f"{d['licence_generations']} ({d['licence_exact_reproductions']} exact; auditor verdicts "
                      f"{d['licence_auditor_verdicts']}). auditor misses at rank 1: "
                      f"{res['auditor_miss_reasons'][model]}.", ""]
    b = res["build"]["auditor"]
    lines += [f"auditor build: {b['files']:,} files ({b['blobs']:,} distinct), {b['windows']:,} windows, "
              f"{b['bytes'] / 1e6:.1f} MB in {b['seconds']:.1f} s = {b['files_per_s']:.0f} files/s, "
              f"{b['mb_per_s']:.2f} MB/s; index on disk {b['index_bytes'] / 1e6:.1f} MB."]
    return "\n".join(lines)


def _f(x) -> str:
    return "–" if x is None else f"{x:.3f}"


if __name__ == "__main__":
    sys.exit(main())
