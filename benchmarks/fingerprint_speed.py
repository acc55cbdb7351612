#!/usr/bin/env python
"""Fingerprinting speed: auditor's windowed MinHash against datasketch's per-document MinHash,
on the same real source files, in the same process, one core.

Corpus: the Python standard library of the running interpreter plus the C and JavaScript files
of the packages the accuracy benchmark caches (``benchmarks/.cache``), when present: real code,
read once into memory so that disk speed is not measured.

For each method the time covers everything from source text to signatures:
- ``auditor``: tokenise, hash shingles, MinHash every 32-shingle window (stride 16), i.e.
  ``auditor.index.builder.fingerprint`` (the build's own function), also split into its stages;
- ``datasketch``: the same tokeniser and shingles, then one ``datasketch.MinHash`` per document
  (the usual way datasketch is used for near-dedup), fed with ``update_batch``;
- ``datasketch per window``: what it would cost to get auditor's output (a signature per window)
  from datasketch, measured on a sample of files and scaled.

Every run first checks that auditor's signatures equal datasketch's, bit for bit, on sampled windows.

    .venv/bin/python benchmarks/fingerprint_speed.py            # ~2 min
    .venv/bin/python benchmarks/fingerprint_speed.py --mb 5     # quicker
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
import platform
import random
import sys
import sysconfig
import time

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from auditor.atomic import atomic_file  # noqa: E402


def corpus(limit_mb: float) -> list[tuple[str, str, str]]:
    """(path, language, text), shuffled with a fixed seed, up to ``limit_mb`` MB."""
    from auditor.corpus.languages import language_of

    paths = sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py"))
    cache = HERE / ".cache"
    if cache.is_dir():
        paths += sorted(p for p in cache.rglob("*") if p.suffix in (".c", ".h", ".js", ".java") and p.is_file())
    random.Random(0).shuffle(paths)
    out, total = [], 0
    for p in paths:
        try:
            text = p.read_text("utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if not 200 <= len(text) <= 400_000:
            continue
        out.append((str(p), language_of(p.name), text))
        total += len(text.encode("utf-8"))
        if total >= limit_mb * 1e6:
            break
    return out


def check_identical(files, config, samples: int = 40) -> int:
    """Windows compared with datasketch; raises if any differs."""
    import datasketch

    from auditor.fingerprint import shingle_hashes, tokenize, window_signatures
    from auditor.fingerprint.minhash import shingle_bytes, shingle_hash_bytes

    fp = config.fingerprint
    rng = random.Random(1)
    checked = 0
    for _, lang, text in rng.sample(files, min(samples, len(files))):
        toks = tokenize(text, lang, normalize_identifiers=fp.normalize_identifiers,
                        normalize_literals=fp.normalize_literals, with_positions=False)
        sigs, first = window_signatures(shingle_hashes(toks.norm_hashes, fp.shingle), fp)
        n_sh = max(1, len(toks) - fp.shingle + 1)
        for w in {0, len(sigs) // 2, len(sigs) - 1}:
            m = datasketch.MinHash(num_perm=fp.num_perm, seed=fp.seed, hashfunc=shingle_hash_bytes, scheme="affine32")
            stop = min(int(first[w]) + fp.window, n_sh)
            for j in range(int(first[w]), stop):
                m.update(shingle_bytes(toks.norm[j: j + fp.shingle]))
            if not np.array_equal(m.hashvalues, sigs[w]):
                raise SystemExit(f"signatures differ from datasketch's on window {w} of a file: stop")
            checked += 1
    return checked


def time_auditor(files, config) -> dict:
    from auditor.fingerprint import shingle_hashes, tokenize, window_signatures
    from auditor.index.builder import fingerprint

    fp = config.fingerprint
    t0 = time.perf_counter()
    windows = 0
    for _, lang, text in files:
        sig, _, _ = fingerprint(text, lang, config)
        windows += len(sig)
    total = time.perf_counter() - t0
    # the same work, stage by stage
    t_tok = t_hash = t_sig = 0.0
    for _, lang, text in files:
        a = time.perf_counter()
        toks = tokenize(text, lang, normalize_identifiers=fp.normalize_identifiers,
                        normalize_literals=fp.normalize_literals)
        b = time.perf_counter()
        h = shingle_hashes(toks.norm_hashes, fp.shingle)
        c = time.perf_counter()
        window_signatures(h, fp)
        d = time.perf_counter()
        t_tok += b - a
        t_hash += c - b
        t_sig += d - c
    return {"seconds": total, "windows": windows, "stages": {"tokenise": t_tok, "shingle hashes": t_hash,
                                                             "window MinHash": t_sig}}


def time_datasketch(files, config) -> dict:
    import datasketch

    from auditor.fingerprint import tokenize
    from auditor.fingerprint.minhash import shingle_bytes, shingle_hash_bytes

    fp = config.fingerprint
    t0 = time.perf_counter()
    shingles = 0
    for _, lang, text in files:
        toks = tokenize(text, lang, normalize_identifiers=fp.normalize_identifiers,
                        normalize_literals=fp.normalize_literals, with_positions=False)
        norm = toks.norm
        batch = [shingle_bytes(norm[j: j + fp.shingle]) for j in range(max(1, len(norm) - fp.shingle + 1))]
        m = datasketch.MinHash(num_perm=fp.num_perm, seed=fp.seed, hashfunc=shingle_hash_bytes, scheme="affine32")
        m.update_batch(batch)
        shingles += len(batch)
    return {"seconds": time.perf_counter() - t0, "shingles": shingles}


def time_datasketch_windows(files, config, sample: int = 30) -> dict:
    """datasketch computing auditor's output (one MinHash per window), on a sample, scaled by bytes."""
    import datasketch

    from auditor.fingerprint import tokenize
    from auditor.fingerprint.minhash import shingle_bytes, shingle_hash_bytes

    fp = config.fingerprint
    picked = random.Random(2).sample(files, min(sample, len(files)))
    nbytes = sum(len(t.encode("utf-8")) for _, _, t in picked)
    t0 = time.perf_counter()
    for _, lang, text in picked:
        norm = tokenize(text, lang, normalize_identifiers=fp.normalize_identifiers,
                        normalize_literals=fp.normalize_literals, with_positions=False).norm
        batch = [shingle_bytes(norm[j: j + fp.shingle]) for j in range(max(1, len(norm) - fp.shingle + 1))]
        for start in range(0, max(1, len(batch) - fp.window + fp.stride), fp.stride):
            m = datasketch.MinHash(num_perm=fp.num_perm, seed=fp.seed, hashfunc=shingle_hash_bytes, scheme="affine32")
            m.update_batch(batch[start: start + fp.window])
    return {"seconds": time.perf_counter() - t0, "bytes": nbytes}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=20.0, help="MB of source to fingerprint (default 20)")
    ap.add_argument("--json", type=Path, default=HERE / "results" / "fingerprint_speed.json")
    args = ap.parse_args(argv)

    import datasketch

    from auditor.config import IndexConfig

    config = IndexConfig()
    files = corpus(args.mb)
    nbytes = sum(len(t.encode("utf-8")) for _, _, t in files)
    mb = nbytes / 1e6
    print(f"corpus: {len(files):,} files, {mb:.1f} MB ({config.fingerprint.tag})", file=sys.stderr)
    checked = check_identical(files, config)
    print(f"bit-identical to datasketch on {checked} sampled windows", file=sys.stderr)
    from auditor.fingerprint import mode

    mode.use_compiled(False)
    time_auditor(files[:50], config)  # warm the token-hash cache and numpy, as a build would be
    python_only = time_auditor(files, config)
    mode.use_compiled(True)
    mode.warm_up()  # numba loads (or, the first time on a machine, compiles) its kernels
    time_auditor(files[:50], config)
    ours = time_auditor(files, config)
    theirs = time_datasketch(files, config)
    per_window = time_datasketch_windows(files, config)
    dsw_mbs = per_window["bytes"] / 1e6 / per_window["seconds"]
    rows = [
        ("auditor (a signature per 32-shingle window, stride 16)", ours["seconds"], mb / ours["seconds"]),
        ("auditor without the compiled kernels (re + numpy)", python_only["seconds"], mb / python_only["seconds"]),
        ("datasketch MinHash per document (update_batch)", theirs["seconds"], mb / theirs["seconds"]),
        ("datasketch MinHash per window (auditor's output), sampled", mb / dsw_mbs, dsw_mbs),
    ]
    print("| method | seconds | MB/s (one core) | auditor's speed-up |\n|---|---|---|---|")
    for name, secs, mbs in rows:
        print(f"| {name} | {secs:.1f} | {mbs:.2f} | {mb / ours['seconds'] / mbs:.1f}x |")
    stages = ours["stages"]
    total_stages = sum(stages.values())
    print("\nauditor's stages: " + ", ".join(f"{k} {v:.1f} s ({v / total_stages:.0%})" for k, v in stages.items()))
    print(f"{ours['windows']:,} windows, {theirs['shingles']:,} shingles")
    result = {
        "date": time.strftime("%Y-%m-%d"), "python": platform.python_version(), "numpy": np.__version__,
        "datasketch": datasketch.__version__ if hasattr(datasketch, "__version__") else None,
        "config": config.tag, "files": len(files), "mb": round(mb, 2), "checked_windows": checked,
        "auditor": ours, "auditor_without_kernels": python_only, "datasketch_per_document": theirs, "datasketch_per_window_sampled": per_window,
        "mb_per_s": {"auditor": mb / ours["seconds"], "datasketch_per_document": mb / theirs["seconds"],
                     "datasketch_per_window": dsw_mbs},
    }
    with atomic_file(args.json) as fh:
        fh.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
