#!/usr/bin/env python
"""Scaling curve: auditor indexes of about 10k, 100k and 1M windows built from the scaling corpus
(``benchmarks/scaling_corpus.py``: pinned Debian, PyPI and npm sources), each measured next to
datasketch ``MinHashLSH`` holding the same windows, in the same run.

For each size, the first rows of the corpus that make that many windows are written to a parquet
slice (The Stack v2 layout), and then:

- **auditor build**: ``auditor index build SLICE --no-header-scan`` in a new process (2 workers):
  wall time, MB/s per core, peak RSS, index size on disk. Licence header scans are left out of the
  curve: they are ScanCode's cost, not the index's (measured separately in the README);
- **auditor queries**: ``benchmarks/query_footprint.py --index`` in a new process: warm p50/p99 over
  12-line pieces (verbatim, renamed, unseen), cold ``trace-snippet`` as a new process per run, and
  resident memory per window;
- **auditor batch audit**: ``auditor audit`` over the same pieces, snippets/s;
- **datasketch, the same windows**: MinHash per window computed by datasketch on a sample of the
  slice (MB/s per core), then ``MinHashLSH`` with auditor's bands and rows (28 x 2) filled with the
  index's own signatures (bit-identical to datasketch's: ``fingerprint_speed.py`` checks it), in a new
  process: insert time, RSS, size of its only persistence (a pickle, measured with ``pickle.dumps``,
  never written or loaded), cold time (a new process loading the signatures and inserting them) and
  query latency (candidate keys for every window of each piece: datasketch stops at candidates,
  auditor also aligns and verifies).

    .venv/bin/python benchmarks/scaling_corpus.py              # fetch the corpus once (~400 MB)
    .venv/bin/python benchmarks/scaling.py                     # 10k, 100k, 1M windows
    .venv/bin/python benchmarks/scaling.py --sizes 10000 --queries 50   # quick
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from auditor.atomic import atomic_file  # noqa: E402

BIN = Path(sys.executable).parent


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


_PEAK_RSS = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024); sys.exit(r.returncode)")


def bytes_per_window(corpus: Path, sample_mb: float = 3.0) -> float:
    """Source bytes per window, measured by fingerprinting the corpus's first ``sample_mb`` MB."""
    import pyarrow.parquet as pq

    from auditor.config import IndexConfig
    from auditor.index.builder import fingerprint

    config = IndexConfig()
    nbytes = windows = 0
    for batch in pq.ParquetFile(corpus).iter_batches(columns=["content", "language"], batch_size=256):
        for content, language in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist()):
            sig, _, _ = fingerprint(content, language, config)
            nbytes += len(content.encode("utf-8"))
            windows += len(sig)
        if nbytes >= sample_mb * 1e6:
            break
    return nbytes / max(1, windows)


def write_slice(corpus: Path, out: Path, max_bytes: float) -> tuple[int, int]:
    """The corpus's first rows up to ``max_bytes`` of content, as a parquet file. (rows, bytes)"""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from scaling_corpus import write_slice as write

    write(out, corpus, max_bytes=int(max_bytes))
    sizes = pq.read_table(out, columns=["length_bytes"]).column(0)
    return len(sizes), int(pc.sum(sizes).as_py() or 0)


def run(cmd: list[str], **kw) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} ... failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return time.perf_counter() - t0, proc


def auditor_size(slice_path: Path, work: Path, args) -> dict:
    index_dir = work / "index"
    shutil.rmtree(index_dir, ignore_errors=True)
    # a wrapper process reports the peak RSS of the build alone (its largest process)
    secs, proc = run([sys.executable, "-c", _PEAK_RSS, str(BIN / "auditor"), "index", "build", str(slice_path),
                      "-o", str(index_dir), "--workers", str(args.workers), "--no-header-scan", "--quiet"])
    peak = int(proc.stdout.split()[-1])
    manifest = json.loads((index_dir / "manifest.json").read_text())
    counts = manifest["counts"]
    qjson = work / "query.json"
    _, _ = run([sys.executable, str(HERE / "query_footprint.py"), "--index", str(index_dir),
                "--queries", str(args.queries), "--cold-runs", str(args.cold_runs), "--json", str(qjson),
                "--save-pieces", str(work / "pieces.jsonl")], cwd=tempfile.gettempdir())
    query = json.loads(qjson.read_text())
    audit_out = work / "audit"
    shutil.rmtree(audit_out, ignore_errors=True)
    pieces = sum(1 for _ in open(work / "pieces.jsonl"))
    audit_secs, _ = run([str(BIN / "auditor"), "audit", str(work / "pieces.jsonl"), "--index", str(index_dir),
                         "-o", str(audit_out), "--quiet"])
    return {
        "windows": counts["windows"], "files": counts["files"], "bytes": counts["bytes"],
        "build_s": secs, "build_mb_s_per_core": counts["bytes"] / 1e6 / secs / args.workers,
        "build_peak_rss": peak, "index_bytes": _du(index_dir),
        "warm_ms": query["warm_ms"], "cold_s": query["cold_s"],
        "anon_bytes_per_window": query["anon_bytes_per_window"],
        "anon_bytes_per_window_beyond_start": query["anon_bytes_per_window_beyond_start"],
        "rss_file_bytes": query["rss_bytes"]["RssFile"],
        "queries": query["queries"], "matched": query["matched"],
        "audit_snippets_per_s": pieces / audit_secs, "audit_snippets": pieces,
        "audit_rows": sum(1 for _ in open(audit_out / "results.jsonl")),
    }


def datasketch_size(slice_path: Path, work: Path, args) -> dict:
    secs, proc = run([sys.executable, __file__, "--datasketch-child", str(work / "index"), str(work / "pieces.jsonl"),
                      str(slice_path)], cwd=tempfile.gettempdir())
    out = json.loads(proc.stdout)
    t0 = time.perf_counter()
    run([sys.executable, __file__, "--datasketch-child", str(work / "index"), str(work / "pieces.jsonl"), "-",
         "--cold"], cwd=tempfile.gettempdir())
    out["cold_s"] = time.perf_counter() - t0
    return out


def datasketch_child(index_dir: Path, pieces_path: Path, slice_path: str, cold: bool) -> None:
    """In its own process: MinHashLSH over the index's window signatures, then the same queries."""
    import pickle  # only to measure the size of datasketch's own persistence, never written or loaded

    import numpy as np
    from datasketch import LeanMinHash, MinHashLSH

    from query_footprint import status

    from auditor.config import MINHASH_SCHEME, IndexConfig
    from auditor.fingerprint import shingle_hashes, tokenize, window_signatures
    from auditor.fingerprint.tokens import guess_language

    config = IndexConfig.from_dict(json.loads((index_dir / "manifest.json").read_text())["config"])
    fp = config.fingerprint
    sigs = np.load(index_dir / "signatures.npy", mmap_mode="r")
    rss0 = status()["RssAnon"]
    t0 = time.perf_counter()
    lsh = MinHashLSH(num_perm=fp.num_perm, params=(config.lsh.bands, config.lsh.rows))
    with lsh.insertion_session(buffer_size=100_000) as session:
        for i in range(len(sigs)):
            session.insert(i, LeanMinHash(seed=fp.seed, hashvalues=np.asarray(sigs[i], dtype=np.uint64), scheme=MINHASH_SCHEME),
                           check_duplication=False)
    insert_s = time.perf_counter() - t0
    rss = status()["RssAnon"] - rss0
    if cold:
        print(json.dumps({"insert_s": insert_s}))
        return
    pieces = [json.loads(line) for line in open(pieces_path)]
    lat = []
    for p in pieces:
        t0 = time.perf_counter()
        lang = guess_language(p["text"])
        toks = tokenize(p["text"], lang, normalize_identifiers=fp.normalize_identifiers,
                        normalize_literals=fp.normalize_literals, with_positions=False)
        qs, _ = window_signatures(shingle_hashes(toks.norm, fp.shingle), fp, stride=fp.query_stride)
        found = set()
        for q in qs:
            found.update(lsh.query(LeanMinHash(seed=fp.seed, hashvalues=q.astype(np.uint64), scheme=MINHASH_SCHEME)))
        lat.append(time.perf_counter() - t0)
    size = len(pickle.dumps(lsh, protocol=pickle.HIGHEST_PROTOCOL))
    ms = np.array(lat) * 1000
    mb_s = _datasketch_minhash_speed(slice_path, fp)
    print(json.dumps({"windows": len(sigs), "insert_s": insert_s, "rss_anon_bytes": rss, "anon_bytes_per_window": rss / len(sigs),
                      "pickle_bytes": size, "warm_ms": {"p50": float(np.percentile(ms, 50)),
                                                         "p99": float(np.percentile(ms, 99))},
                      "minhash_mb_s_per_core": mb_s}))


def _datasketch_minhash_speed(slice_path: str, fp, sample_mb: float = 1.0) -> float:
    """datasketch computing a MinHash per window (auditor's output) over the slice's first MB."""
    import datasketch
    import pyarrow.parquet as pq

    from auditor.fingerprint import tokenize
    from auditor.fingerprint.minhash import shingle_bytes, shingle_hash_bytes

    nbytes, t0 = 0, time.perf_counter()
    for batch in pq.ParquetFile(slice_path).iter_batches(columns=["content", "language"], batch_size=64):
        for text, lang in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist()):
            norm = tokenize(text, lang, normalize_identifiers=fp.normalize_identifiers,
                            normalize_literals=fp.normalize_literals, with_positions=False).norm
            shingles = [shingle_bytes(norm[j: j + fp.shingle]) for j in range(max(1, len(norm) - fp.shingle + 1))]
            for start in range(0, max(1, len(shingles) - fp.window + fp.stride), fp.stride):
                m = datasketch.MinHash(num_perm=fp.num_perm, seed=fp.seed, hashfunc=shingle_hash_bytes,
                                       scheme="affine32")
                m.update_batch(shingles[start: start + fp.window])
            nbytes += len(text.encode("utf-8"))
        if nbytes >= sample_mb * 1e6:
            break
    return nbytes / 1e6 / (time.perf_counter() - t0)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--plot-only"]:  # redraw the plot and table from the saved JSON
        results = json.loads((HERE / "results" / "scaling.json").read_text())["results"]
        plot(results, HERE / "results" / "scaling.png")
        print(table(results))
        return 0
    if argv[:1] == ["--datasketch-child"]:
        datasketch_child(Path(argv[1]), Path(argv[2]), argv[3], "--cold" in argv)
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=HERE / ".cache" / "scaling" / "corpus.parquet")
    ap.add_argument("--sizes", default="10000,100000,1000000,0",
                    help="target windows per index; 0 is the whole corpus (default 10k, 100k, 1M and all)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--cold-runs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-datasketch", action="store_true")
    ap.add_argument("--datasketch-max", type=int, default=1_500_000,
                    help="skip the datasketch baseline above this many windows (its in-memory LSH grows past RAM)")
    ap.add_argument("--work", type=Path, default=None, help="keep slices and indexes here (default: a temp dir)")
    ap.add_argument("--json", type=Path, default=HERE / "results" / "scaling.json")
    args = ap.parse_args(argv)
    if not args.corpus.is_file():
        print(f"no scaling corpus at {args.corpus}: run benchmarks/scaling_corpus.py first", file=sys.stderr)
        return 2
    work_root = args.work or Path(tempfile.mkdtemp(prefix="auditor-scaling-"))
    per_window = bytes_per_window(args.corpus)
    print(f"{per_window:.0f} source bytes per window", file=sys.stderr)
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        work = work_root / f"w{size}"
        work.mkdir(parents=True, exist_ok=True)
        slice_path = work / "slice.parquet"
        rows, nbytes = write_slice(args.corpus, slice_path, size * per_window if size else 1e15)
        print(f"[{size:,}] slice: {rows:,} files, {nbytes / 1e6:.1f} MB", file=sys.stderr)
        ours = auditor_size(slice_path, work, args)
        print(f"[{size:,}] auditor: {json.dumps(ours)}", file=sys.stderr)
        skip = args.no_datasketch or ours["windows"] > args.datasketch_max
        theirs = None if skip else datasketch_size(slice_path, work, args)
        print(f"[{size:,}] datasketch: {json.dumps(theirs)}", file=sys.stderr)
        results.append({"target_windows": size, "rows": rows, "bytes": nbytes, "auditor": ours, "datasketch": theirs})
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(table(results))
    plot(results, args.json.with_suffix(".png"))
    import datasketch
    import numpy as np
    with atomic_file(args.json) as fh:
        fh.write(json.dumps({"date": time.strftime("%Y-%m-%d"), "python": platform.python_version(),
                             "numpy": np.__version__, "datasketch": getattr(datasketch, "__version__", None),
                             "cpus": os.cpu_count(), "workers": args.workers, "results": results}, indent=2) + "\n")
    return 0


def plot(results: list[dict], out: Path) -> None:
    """Four panels against indexed windows (log-log): build time, warm p50, resident bytes per
    window and cold start, auditor and datasketch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("build s", lambda a: a["build_s"], lambda d: d["insert_s"] + d["bytes"] / 1e6 / d["minhash_mb_s_per_core"] / 2),
              ("warm p50 ms", lambda a: a["warm_ms"]["p50"], lambda d: d["warm_ms"]["p50"]),
              ("resident bytes / window", lambda a: a["anon_bytes_per_window_beyond_start"],
               lambda d: d["anon_bytes_per_window"]),
              ("cold start s", lambda a: a["cold_s"]["median"], lambda d: d["cold_s"])]
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.8))
    for ax, (title, ours, theirs) in zip(axes, panels):
        xs = [r["auditor"]["windows"] for r in results]
        ax.plot(xs, [ours(r["auditor"]) for r in results], "o-", label="auditor")
        ds = [(r["auditor"]["windows"], theirs({**r["datasketch"], "bytes": r["bytes"]})) for r in results if r["datasketch"]]
        if ds:
            ax.plot([x for x, _ in ds], [y for _, y in ds], "s--", label="datasketch MinHashLSH")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("indexed windows")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend()
    fig.suptitle("auditor against datasketch on the same windows (2-core VM; datasketch build = MinHash per window "
                 "on 2 cores + LSH insert)", fontsize=9)
    fig.tight_layout()
    tmp = out.with_name(out.name + ".tmp.png")
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, out)


def table(results: list[dict]) -> str:
    head = ("| windows | files | MB | method | build s | MB/s/core | peak build RSS | on disk | RSS/window "
            "| cold s | warm p50 / p99 ms | audit snippets/s |\n|---|---|---|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in results:
        a, d = r["auditor"], r["datasketch"]
        lines.append(f"| {a['windows']:,} | {a['files']:,} | {a['bytes'] / 1e6:.0f} | auditor | {a['build_s']:.1f} "
                     f"| {a['build_mb_s_per_core']:.2f} | {a['build_peak_rss'] / 1e9:.2f} GB | {a['index_bytes'] / 1e6:.0f} MB "
                     f"| {a['anon_bytes_per_window']:.0f} B | {a['cold_s']['median']:.2f} "
                     f"| {a['warm_ms']['p50']:.1f} / {a['warm_ms']['p99']:.1f} | {a['audit_snippets_per_s']:.1f} |")
        if d:
            lines.append(f"| | | | datasketch MinHashLSH | {d['insert_s']:.1f} insert (+ MinHash at "
                         f"{d['minhash_mb_s_per_core']:.2f} MB/s) | {d['minhash_mb_s_per_core']:.2f} | | "
                         f"{d['pickle_bytes'] / 1e6:.0f} MB (pickle) | {d['anon_bytes_per_window']:.0f} B "
                         f"| {d['cold_s']:.2f} | {d['warm_ms']['p50']:.1f} / {d['warm_ms']['p99']:.1f} (candidates only) | |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
