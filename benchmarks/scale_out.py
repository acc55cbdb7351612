"""Scale-out figures: index builds on 1 and 2 workers, local and on Ray; an index served from
Redis against the same index on disk; and datasketch's MinHashLSH with its Redis storage as
the baseline for the Redis layout, on the same windows and queries.

    .venv/bin/python benchmarks/scale_out.py            # the 100k-window slice of the scaling corpus
    .venv/bin/python benchmarks/scale_out.py --small    # CI-sized

Needs the scaling corpus (benchmarks/scaling_corpus.py), redis-server, and the ray and redis
extras. Writes benchmarks/results/scale_out.json and prints a Markdown table.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
BIN = Path(sys.executable).parent


def _redis(work: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(work)], stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, f"redis://127.0.0.1:{port}/0"


def _pieces(slice_path: Path, n: int, seed: int = 0) -> list[str]:
    """Snippets of 10-30 lines cut from random files of the slice: what is looked up."""
    import pyarrow.parquet as pq

    rng = random.Random(seed)
    texts = [t for t in pq.read_table(slice_path, columns=["content"]).column(0).to_pylist() if t.count("\n") > 40]
    out = []
    while len(out) < n:
        lines = rng.choice(texts).splitlines()
        k, m = rng.randrange(0, len(lines) - 30), rng.randrange(10, 31)
        piece = "\n".join(lines[k:k + m])
        if len(piece.split()) >= 30:
            out.append(piece)
    return out


def _latency(index, pieces: list[str]) -> dict:
    from auditor.matching.trace import trace

    for p in pieces[:20]:
        trace(index, p)
    ms = []
    for p in pieces:
        t = time.perf_counter()
        trace(index, p)
        ms.append((time.perf_counter() - t) * 1000)
    return {"p50_ms": round(float(np.median(ms)), 2), "p99_ms": round(float(np.percentile(ms, 99)), 2)}


def _datasketch_redis(index_dir: Path, url: str, pieces: list[str]) -> dict:
    """datasketch MinHashLSH, Redis storage, 28 bands x 2 rows as ours: insert every window's
    signature (taken from our index: the same MinHash values), then time the candidate lookup
    of each piece's windows."""
    from datasketch import MinHash, MinHashLSH

    from auditor.fingerprint import shingle_hashes, tokenize, window_signatures
    from auditor.fingerprint.tokens import guess_language
    from auditor.index.reader import Index

    port = int(url.rsplit(":", 1)[1].split("/")[0])
    index = Index(index_dir)
    lsh = MinHashLSH(num_perm=128, params=(index.config.lsh.bands, index.config.lsh.rows),
                     storage_config={"type": "redis", "basename": b"ds", "redis": {"host": "127.0.0.1", "port": port,
                                                                                    "db": 1}})
    import redis

    client = redis.Redis(port=port, db=1)
    before = client.info("memory")["used_memory"]
    sigs = np.asarray(index.signatures)
    t0 = time.perf_counter()
    with lsh.insertion_session(buffer_size=50_000) as session:
        for i, sig in enumerate(sigs):
            session.insert(i, MinHash(num_perm=128, hashvalues=sig.astype(np.uint64), scheme="affine32"))
    insert_s = time.perf_counter() - t0
    fp = index.config.fingerprint
    ms = []
    for p in pieces:
        t = time.perf_counter()
        toks = tokenize(p, guess_language(p))
        q, _ = window_signatures(shingle_hashes(toks.norm, fp.shingle), fp, stride=fp.query_stride)
        found = set()
        for sig in q:
            found.update(lsh.query(MinHash(num_perm=128, hashvalues=sig.astype(np.uint64), scheme="affine32")))
        ms.append((time.perf_counter() - t) * 1000)
    mem = client.info("memory")["used_memory"] - before
    return {"insert_s": round(insert_s, 1), "candidates_p50_ms": round(float(np.median(ms)), 2),
            "candidates_p99_ms": round(float(np.percentile(ms, 99)), 2), "redis_used_bytes": mem}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=HERE / ".cache" / "scaling" / "corpus.parquet")
    ap.add_argument("--mb", type=float, default=12.0, help="source MB of the slice (12 MB is about 100k windows)")
    ap.add_argument("--small", action="store_true", help="1 MB slice and 40 queries (CI)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--no-datasketch", action="store_true")
    ap.add_argument("--json", type=Path, default=HERE / "results" / "scale_out.json")
    args = ap.parse_args(argv)
    if args.small:
        args.mb, args.queries = 1.0, 40
        if not args.corpus.is_file():
            args.corpus = HERE / ".cache" / "scaling" / "corpus-small.parquet"
    if not args.corpus.is_file():
        print(f"no scaling corpus at {args.corpus}: run benchmarks/scaling_corpus.py first", file=sys.stderr)
        return 2
    if not shutil.which("redis-server"):
        print("redis-server is not installed (apt-get install redis-server)", file=sys.stderr)
        return 2
    from scaling import write_slice

    from auditor import api

    work = Path(tempfile.mkdtemp(prefix="auditor-scale-out-"))
    try:
        slice_path = work / "slice.parquet"
        rows, nbytes = write_slice(args.corpus, slice_path, args.mb * 1e6)
        builds, ids = [], set()
        for executor, workers in (("local", 1), ("local", 2), ("ray", 1), ("ray", 2)):
            out = work / f"idx-{executor}-{workers}"
            t0 = time.perf_counter()
            r = subprocess.run([str(BIN / "auditor"), "index", "build", str(slice_path), "--out", str(out), "-q",
                                "--no-header-scan", "-j", str(workers), "--executor", executor],
                               capture_output=True, text=True)
            seconds = time.perf_counter() - t0
            if r.returncode != 0:
                raise SystemExit(f"{executor} build failed: {r.stderr[-400:]}")
            ids.add(r.stdout.split("\t")[0])
            builds.append({"executor": executor, "workers": workers, "seconds": round(seconds, 1),
                           "mb_per_s": round(nbytes / 1e6 / seconds, 2)})
            print(f"build {executor} -j{workers}: {seconds:.1f} s", file=sys.stderr)
        index_dir = work / "idx-local-2"
        manifest = json.loads((index_dir / "manifest.json").read_text())
        pieces = _pieces(slice_path, args.queries)
        server, url = _redis(work)
        try:
            t0 = time.perf_counter()
            api.push_index(index_dir, url, show_progress=False)
            push_s = time.perf_counter() - t0
            import redis

            used = redis.Redis.from_url(url).info("memory")["used_memory"]
            disk = _latency(api.open_index(index_dir, show_progress=False), pieces)
            served = _latency(api.open_index(url, show_progress=False), pieces)
            baseline = None if args.no_datasketch else _datasketch_redis(index_dir, url, pieces)
        finally:
            server.terminate()
            server.wait()
        index_bytes = sum(p.stat().st_size for p in index_dir.iterdir())
        result = {"slice": {"files": rows, "bytes": nbytes, "windows": manifest["counts"]["windows"]},
                  "builds": builds, "same_index_id": len(ids) == 1,
                  "redis": {"push_s": round(push_s, 1), "used_bytes": used, "index_bytes_on_disk": index_bytes,
                            "disk_query": disk, "redis_query": served},
                  "datasketch_redis": baseline, "queries": len(pieces)}
        from auditor.atomic import atomic_file

        with atomic_file(args.json, "w") as fh:
            fh.write(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
