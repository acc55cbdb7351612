#!/usr/bin/env python
"""A ~400 MB corpus of real, licensed source code as a The-Stack-v2-like parquet table, for scaling benchmarks.

One MinHash window is about 16 tokens of stride, roughly 400 bytes of source: 10k windows need
~4 MB, 100k ~40 MB, 1M ~400 MB. The recipe:

1. Fetch the pinned packages of :data:`PACKAGES` through their clients (``fetch.py``, cached in
   ``benchmarks/.cache/``): Debian source packages at exactly the bookworm version the host's
   mirror has (private deb-src list, ``apt-get source``, ``dpkg-source -x``, Debian patches not
   applied, ``debian/`` left out), PyPI sdists (``pip download --no-binary :all:``), npm tarballs
   (``npm pack``). Tarballs are read member by member, never extracted.
2. Keep code files only: a language from ``auditor.corpus.languages`` (The Stack's names), no
   symlinks or special files, at most 1 MB, valid UTF-8, not blank, not minified
   (``accuracy.dataset.minified``: a line over 1000 characters, ``*.min.js``, big ``dist/`` bundles).
3. Write rows in package-list order, then sorted path, up to ``--target-mb`` MB of content
   (UTF-8 bytes), to ``benchmarks/.cache/scaling/corpus.parquet`` (temp file, then rename;
   1000-row row groups; zstd), and a manifest next to it (``corpus.json``: per-package files,
   bytes, languages, skips; a matching manifest makes a rerun print the cached table).
   Columns as The Stack v2: blob_id (git blob sha1 of the content bytes), repo_name
   (``debian/curl@7.88.1-10+deb12u15``, ``pypi/django@4.2.11``, ``npm/rxjs@7.8.1``), path, content,
   language, detected_licenses (the package's declared SPDX expression, as one item),
   license_type (``permissive``/``copyleft``), revision_id (the pinned version), plus length_bytes.

Every prefix of the table is a stable slice (:func:`load_slice`, :func:`write_slice`). The list
holds ~445 MB and interleaves languages from its start (the first 8 MB: TypeScript, JavaScript,
Rust, Go; the first 43 MB add C, Python, Java); the default 400 MB stops inside golang-1.19, the
last package, and ``--target-mb 450`` takes all of it. Rust crates of bookworm often 404 on the
mirror, hence ``cargo`` for Rust. Unreachable packages are skipped with a reason; nothing: exit 2.

    /work/venv/bin/python benchmarks/scaling_corpus.py                  # ~400 MB, the full recipe
    /work/venv/bin/python benchmarks/scaling_corpus.py --small          # ~5 MB, two small packages (CI)
    /work/venv/bin/python benchmarks/scaling_corpus.py --target-mb 40 --out /tmp/c40.parquet

    from scaling_corpus import load_slice, write_slice
    table = load_slice(max_bytes=40_000_000)                 # ~100k windows, a pyarrow Table
    write_slice("/tmp/c4.parquet", max_bytes=4_000_000)      # ~10k windows, for ``auditor`` to index
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path, PurePosixPath
import re
import sys
import tarfile
import time

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
import fetch  # noqa: E402
from accuracy.dataset import minified  # noqa: E402
from auditor.corpus.languages import language_of  # noqa: E402

OUT = fetch.CACHE / "scaling" / "corpus.parquet"
MAX_FILE_BYTES = 1 << 20
ROW_GROUP = 1000
RECIPE = 1  # bump when the filters change, so that a cached table is rebuilt

# (registry, name, pinned version, declared SPDX expression), in the order of the rows.
PACKAGES: tuple[tuple[str, str, str, str], ...] = (  # ~MB of code kept, languages
    ("npm", "rxjs", "7.8.1", "Apache-2.0"),  # 2.1 TypeScript, JavaScript
    ("debian", "rust-clap", "4.0.32-1", "MIT OR Apache-2.0"),  # 1.0 Rust
    ("debian", "golang-google-grpc", "1.33.3-2", "Apache-2.0"),  # 4.9 Go
    ("debian", "curl", "7.88.1-10+deb12u15", "curl"),  # 9.4 C, Perl, Shell
    ("pypi", "Django", "4.2.11", "BSD-3-Clause"),  # 17.4 Python
    ("debian", "jackson-databind", "2.14.0-1+deb12u1", "Apache-2.0"),  # 8.0 Java
    ("npm", "three", "0.160.0", "MIT"),  # 6.5 JavaScript
    ("debian", "protobuf", "3.21.12-3+deb12u1", "BSD-3-Clause"),  # 27.3 C++, C, Java, C#, Objective-C
    ("npm", "effect", "3.0.0", "MIT"),  # 8.7 TypeScript, JavaScript
    ("debian", "sqlite3", "3.40.1-2+deb12u2", "blessing"),  # 14.1 C
    ("debian", "etcd", "3.4.23-4", "Apache-2.0"),  # 6.2 Go
    ("debian", "guava-libraries", "31.1-1", "Apache-2.0"),  # 27.4 Java
    ("npm", "lodash", "4.17.21", "MIT"),  # 1.3 JavaScript
    ("debian", "cargo", "0.66.0+ds1-1", "MIT OR Apache-2.0"),  # 39.8 Rust
    ("debian", "git", "1:2.39.5-0+deb12u3", "GPL-2.0-only"),  # 19.1 C, Shell
    ("npm", "typescript", "5.4.5", "Apache-2.0"),  # 1.6 TypeScript (lib/*.js are over 1 MB)
    ("npm", "webpack", "5.91.0", "MIT"),  # 4.2 JavaScript
    ("debian", "python3.11", "3.11.2-6+deb12u8", "PSF-2.0"),  # 53.3 Python, C
    ("npm", "fp-ts", "2.16.5", "MIT"),  # 4.0 TypeScript, JavaScript
    ("debian", "tomcat10", "10.1.55-1~deb12u1", "Apache-2.0"),  # 23.5 Java
    ("debian", "hugo", "0.111.3-1", "Apache-2.0"),  # 4.4 Go
    ("npm", "eslint", "8.57.0", "MIT"),  # 3.0 JavaScript
    ("debian", "openssl", "3.0.20-1~deb12u2", "Apache-2.0"),  # 28.2 C, Perl
    ("npm", "@types/node", "20.12.7", "MIT"),  # 2.0 TypeScript
    ("debian", "rust-ripgrep", "13.0.0-4", "Unlicense OR MIT"),  # 0.4 Rust
    ("debian", "rocksdb", "7.8.3-2", "GPL-2.0-only OR Apache-2.0"),  # 25.8 C++, C, Java
    ("npm", "typeorm", "0.3.20", "MIT"),  # 8.2 JavaScript, TypeScript
    ("debian", "libxml2", "2.9.14+dfsg-1.3~deb12u6", "MIT"),  # 10.0 C, Python
    ("npm", "@mui/material", "5.15.15", "MIT"),  # 7.3 JavaScript, TypeScript
    ("npm", "echarts", "5.5.0", "Apache-2.0"),  # 4.9 JavaScript, TypeScript
    ("npm", "date-fns", "3.6.0", "MIT"),  # 4.6 JavaScript, TypeScript
    ("debian", "golang-1.19", "1.19.8-2", "BSD-3-Clause"),  # 66.1 Go, Assembly (the default 400 MB takes ~21)
)
SMALL = ("rxjs", "golang-google-grpc")  # --small: ~5 MB of TypeScript, JavaScript and Go
SMALL_MB = 5

SCHEMA = pa.schema([
    ("blob_id", pa.string()), ("repo_name", pa.string()), ("path", pa.string()), ("content", pa.string()),
    ("language", pa.string()), ("detected_licenses", pa.list_(pa.string())), ("license_type", pa.string()),
    ("revision_id", pa.string()), ("length_bytes", pa.int64()),
])
_COPYLEFT = re.compile(r"\b(A|L)?GPL|\bMPL|\bEPL|\bCDDL|\bEUPL")


def license_type(expression: str) -> str:
    """``permissive`` when some alternative of the expression has no copyleft licence in it, else ``copyleft``."""
    return "permissive" if any(not _COPYLEFT.search(a) for a in expression.split(" OR ")) else "copyleft"


def repo_name(registry: str, name: str, version: str) -> str:
    return f"{registry}/{name.lower() if registry == 'pypi' else name}@{version}"


def recipe_key(packages, target_bytes: int) -> str:
    """What a cached table was built from: filters, package list, byte target."""
    return hashlib.sha1(json.dumps([RECIPE, target_bytes, packages]).encode()).hexdigest()[:16]


def row_line(row: dict) -> str:
    return (f"{row['repo_name']:44} {row['files']:7,} files {row['bytes'] / 1e6:8.1f} MB  {row['licence']:28} "
            + ", ".join(f"{k} {v / 1e6:.1f}" for k, v in list(row["languages"].items())[:6]))


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def fetch_package(registry: str, name: str, version: str) -> tuple[Path | None, str | None]:
    if registry == "debian":
        return fetch.debian_source_tree(name, version)
    if registry == "pypi":
        return fetch.pypi_sdist(name, version)
    return fetch.npm_tarball(name, version)


def _tree_members(root: Path):
    """(relative path, bytes) of the regular files under ``root``; symlinks, ``debian/``, ``.pc/`` and VCS dirs left out."""
    for d, dirs, files in os.walk(root):  # never follows symlinked directories
        rel = Path(d).relative_to(root)
        dirs[:] = [x for x in dirs if not (rel == Path(".") and x in ("debian", ".pc")) and x not in (".git", ".svn")]
        for f in files:
            p = Path(d) / f
            if not p.is_symlink() and p.is_file() and language_of(f) and p.stat().st_size <= MAX_FILE_BYTES:
                yield (rel / f).as_posix(), p.read_bytes()


def _tar_members(archive: Path):
    """(path inside the wrapper directory, bytes) of the regular members of a tarball; nothing is extracted."""
    with tarfile.open(archive, "r:*") as tf:
        for m in tf:
            parts = PurePosixPath(m.name.replace("\\", "/")).parts
            if not m.isreg() or len(parts) < 2 or ".." in parts or parts[0] == "/":
                continue  # links, devices, top-level files, escaping names
            path = "/".join(parts[1:])
            if language_of(path) and m.size <= MAX_FILE_BYTES:
                yield path, tf.extractfile(m).read()


def read_package(source: Path) -> tuple[list[tuple[str, bytes, str, str]], dict[str, int]]:
    """Sorted (path, bytes, text, language) of the code files of a source tree or tarball, and skip counts."""
    skipped = {"non-UTF-8": 0, "minified": 0, "blank": 0}
    rows = []
    for path, data in (_tree_members(source) if source.is_dir() else _tar_members(source)):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            skipped["non-UTF-8"] += 1
            continue
        why = "blank" if not text.strip() else "minified" if minified(path, text) else None
        if why:
            skipped[why] += 1
            continue
        rows.append((path, data, text, language_of(path)))
    return sorted(rows), skipped


def build(out: Path, target_bytes: int, packages=PACKAGES, log=print) -> dict:
    """Write the table (atomically) and return its manifest: per-package rows, skip reasons, totals."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    started, total, n_files = time.perf_counter(), 0, 0
    manifest: dict = {"recipe": recipe_key(packages, target_bytes), "target_bytes": target_bytes,
                      "packages": [], "skipped": []}
    writer = pq.ParquetWriter(tmp, SCHEMA, compression="zstd")
    try:
        for registry, name, version, spdx in packages:
            if total >= target_bytes:
                break
            source, why = fetch_package(registry, name, version)
            if source is None:
                manifest["skipped"].append(why)
                log(f"skipped: {why}")
                continue
            files, skips = read_package(source)
            repo = repo_name(registry, name, version)
            cols: dict[str, list] = {f.name: [] for f in SCHEMA}
            langs: dict[str, int] = {}
            for path, data, text, lang in files:
                if total >= target_bytes:
                    break
                for k, v in zip(cols, (git_blob_sha1(data), repo, path, text, lang, [spdx], license_type(spdx),
                                       version, len(data))):
                    cols[k].append(v)
                total += len(data)
                langs[lang] = langs.get(lang, 0) + len(data)
            if cols["path"]:
                writer.write_table(pa.table(cols, schema=SCHEMA), row_group_size=ROW_GROUP)
            size = sum(cols["length_bytes"])
            n_files += len(cols["path"])
            row = {"repo_name": repo, "licence": spdx, "files": len(cols["path"]), "bytes": size,
                   "languages": dict(sorted(langs.items(), key=lambda kv: -kv[1])), "skipped": skips}
            manifest["packages"].append(row)
            log(row_line(row))
        writer.close()
    except BaseException:
        writer.close()
        tmp.unlink(missing_ok=True)
        raise
    manifest.update(files=n_files, bytes=total, seconds=round(time.perf_counter() - started, 1))
    if n_files:
        os.replace(tmp, out)
        out.with_suffix(".json").write_text(json.dumps(manifest, indent=1) + "\n")
    else:
        tmp.unlink(missing_ok=True)
    return manifest


def load_slice(path: str | Path = OUT, max_bytes: int | None = None, max_rows: int | None = None,
               columns: list[str] | None = None) -> pa.Table:
    """The first rows of the table whose content adds up to at most ``max_bytes`` (UTF-8 bytes)
    and that number at most ``max_rows``; only the row groups needed are read."""
    pf = pq.ParquetFile(path)
    sizes = pf.read(columns=["length_bytes"]).column(0).to_numpy()
    n = len(sizes) if max_rows is None else min(max_rows, len(sizes))
    if max_bytes is not None:
        n = min(n, int((sizes.cumsum() <= max_bytes).sum()))
    groups, rows = [], 0
    for i in range(pf.num_row_groups):
        if rows >= n:
            break
        groups.append(i)
        rows += pf.metadata.row_group(i).num_rows
    table = pf.read_row_groups(groups, columns=columns) if groups else pf.schema_arrow.empty_table()
    return table.slice(0, n)


def write_slice(dest: str | Path, path: str | Path = OUT, **limits) -> Path:
    """:func:`load_slice` written to ``dest`` (atomically), for ``auditor`` to index a parquet file."""
    dest = Path(dest)
    tmp = dest.with_name(dest.name + ".tmp")
    pq.write_table(load_slice(path, **limits), tmp, compression="zstd", row_group_size=ROW_GROUP)
    os.replace(tmp, dest)
    return dest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target-mb", type=float, default=400, help="stop after this many MB of content (default 400)")
    ap.add_argument("--small", action="store_true", help=f"~{SMALL_MB} MB from {' and '.join(SMALL)}, for CI")
    ap.add_argument("--out", type=Path, help=f"output parquet (default {OUT.relative_to(HERE.parent)}, "
                                            "or corpus-small.parquet with --small)")
    ap.add_argument("--force", action="store_true", help="rebuild even when the cached table matches the recipe")
    args = ap.parse_args(argv)
    packages = tuple(p for p in PACKAGES if p[1] in SMALL) if args.small else PACKAGES
    target = int((SMALL_MB if args.small else args.target_mb) * 1e6)
    out = args.out or OUT.with_name("corpus-small.parquet" if args.small else OUT.name)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    manifest_path = out.with_suffix(".json")
    if out.is_file() and manifest_path.is_file() and not args.force:
        old = json.loads(manifest_path.read_text())
        if old.get("recipe") == recipe_key(packages, target) and not old["skipped"]:
            for row in old["packages"]:
                log(row_line(row))
            log(f"total (cached, built in {old['seconds']:.0f} s): {old['files']:,} files, {old['bytes'] / 1e6:.1f} MB")
            print(out)
            return 0
    started = time.perf_counter()
    manifest = build(out, target, packages, log)
    if not manifest["files"]:
        print(f"scaling corpus: no package could be fetched ({'; '.join(manifest['skipped'])[:300]})", file=sys.stderr)
        return 2
    log(f"total: {len(manifest['packages'])} packages, {manifest['files']:,} files, "
        f"{manifest['bytes'] / 1e6:.1f} MB in {time.perf_counter() - started:.0f} s; skipped {len(manifest['skipped'])}")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
