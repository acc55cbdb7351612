#!/usr/bin/env python
"""Per-file licence accuracy and licensing cost of ``auditor`` on real packages with known licences.

Packages (pinned, fetched through their clients by ``benchmarks/fetch.py``, cached in
``benchmarks/.cache/``): Debian source packages whose machine-readable ``debian/copyright``
(DEP-5) gives several licences, PyPI wheels and npm tarballs with a declared licence.

Ground truth per file: for Debian, the licence of the last DEP-5 ``Files:`` stanza that matches
the path (parsed here by an independent small parser, short names mapped to SPDX by the table
below); for PyPI and npm, the package's declared licence. One index is built over all packages
with ``auditor.api.build_index(..., workers=2, show_progress=False)`` (licence header scanning
on, the default) and each file's ``license`` in ``files.parquet`` is compared with the truth.

Speed: the same sources are built (1) with licensing, ScanCode's result cache cold and then
warm, (2) with ``scan_headers=False``, (3) with no licence evidence at all (same builder, files
read without package evidence), and (4) fingerprinted alone; plus ScanCode full-file scanning
(``scancode.api.get_licenses`` + ``get_copyrights``) of a sample of the same files in 2 processes.

    /work/venv/bin/python benchmarks/licensing_accuracy.py                       # full run
    /work/venv/bin/python benchmarks/licensing_accuracy.py --packages lz4,chardet --limit 50 --scancode-files 20

See benchmarks/README.md for what is measured and the latest results.
"""
from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
import itertools
import json
import os
from pathlib import Path
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results" / "licensing_accuracy.json"

sys.path.insert(0, str(HERE))
from fetch import CACHE, debian_source_tree, git_state, npm_tarball, pypi_wheel  # noqa: E402


@dataclass(frozen=True)
class Package:
    kind: str  # debian | pypi | npm
    name: str
    version: str
    declared: str | None = None  # SPDX, for pypi/npm: the truth for every file
    note: str = ""

    @property
    def key(self) -> str:
        return self.name


PACKAGES = (
    Package("debian", "lz4", "1.9.4-1", note="lib/ BSD-2-Clause, programs/ and tests/ GPL-2.0-or-later"),
    Package("debian", "libzstd", "1.5.4+dfsg2-5", note="BSD-3-Clause OR GPL-2.0-only; zlib wrapper Zlib; divsufsort MIT"),
    Package("debian", "libpng1.6", "1.6.39-2+deb12u5", note="Libpng; contrib/ MIT, GPL-2.0+ or BSD-like"),
    Package("debian", "xz-utils", "5.4.1-1+deb12u1", note="public domain; scripts and lib/ GPL/LGPL"),
    Package("debian", "curl", "7.88.1-10+deb12u15", note="curl; ISC, BSD-3-Clause, BSD-4-Clause-UC files"),
    Package("debian", "libarchive", "3.6.2-1+deb12u4", note="BSD-2-Clause; Apache-2.0, MIT, public-domain files"),
    Package("debian", "libjpeg-turbo", "1:2.1.5-2", note="IJG, BSD-3-Clause and Zlib files"),
    Package("pypi", "chardet", "5.2.0", "LGPL-2.1-or-later", "License: LGPL, classifier LGPLv2+, headers LGPL-2.1+"),
    Package("pypi", "requests", "2.32.3", "Apache-2.0", "License: Apache-2.0"),
    Package("pypi", "six", "1.16.0", "MIT", "License: MIT"),
    Package("pypi", "idna", "3.7", "BSD-3-Clause", "classifier 'BSD License' only; LICENSE.md is BSD-3-Clause"),
    Package("npm", "lodash", "4.17.21", "MIT", 'package.json "license": "MIT"'),
    Package("npm", "rxjs", "7.8.1", "Apache-2.0", 'package.json "license": "Apache-2.0"'),
    Package("npm", "tslib", "2.6.2", "0BSD", 'package.json "license": "0BSD"'),
    Package("npm", "minimist", "1.2.8", "MIT", 'package.json "license": "MIT"'),
)

# DEP-5 short names that are neither SPDX ids nor DEP-5 standard names, as used by the packages
# above, mapped by reading their stand-alone License: paragraphs. Keys are lower case.
DEBIAN_NAMES = {
    "expat": "MIT",
    "pd": "LicenseRef-scancode-public-domain",
    "pd-debian": "LicenseRef-scancode-public-domain",
    "probably-pd": "LicenseRef-scancode-public-domain",
    "public-domain": "LicenseRef-scancode-public-domain",
    "none": "LicenseRef-scancode-public-domain",  # xz-utils: generated tables, "No copyright to license."
    "bsd-by-lc-ne": "IJG",  # libjpeg-turbo: the IJG README text
    "bsd-4-clause-ucb": "BSD-4-Clause-UC",
    "bsd-124-clause-ucb": "BSD-4-Clause-UC",  # same text as BSD-4-clause-UCB in libarchive's file
    "bsd-3-clause-ucb": "BSD-3-Clause",
    "bsd-1-clause-ucb": "PostgreSQL",  # "without a written agreement is hereby granted ... UNIVERSITY OF CALIFORNIA"
    "openssl+ssleay": "OpenSSL",
    "bsd-like-with-advertising-clause": "LicenseRef-scancode-greg-roelofs",  # libpng contrib/gregbook
    "permissive-fsf": "FSFULLR",  # "... gives unlimited permission to copy and/or distribute it ..."
    "permissive-nowarranty": "FSFAP",  # "Copying and distribution of this file ... offered as-is"
    "autoconf": "GPL-3.0-or-later WITH Autoconf-exception-macro",  # xz-utils: GPL-3+ and the Autoconf Archive exception
    "libpng": "Libpng",
}
# Where a package's stand-alone License: paragraph holds another licence's text than its name
# says, the text is the truth.
DEBIAN_NAMES_BY_PACKAGE = {
    "libarchive": {"expat": "ISC"},  # its "Expat" paragraph is the ISC text
    "libjpeg-turbo": {"ntp": "HPND-Pbmplus"},  # its "NTP" paragraph is the pbmplus text ("... and without fee ...")
}
DEBIAN_EXCEPTIONS = {"autoconf-data": "Autoconf-exception-generic", "libtool": "Libtool-exception"}
_GNU = re.compile(r"^(a?gpl|lgpl|gfdl)-(\d(?:\.\d)?)(\+)?$", re.IGNORECASE)
_BSD = re.compile(r"^bsd-([234])-clause$", re.IGNORECASE)
_WITH = re.compile(r"^(?P<lic>\S+)\s+with\s+(?P<exc>.+?)\s+exception$", re.IGNORECASE)
# Findings made only of these say nothing about the licence ("see LICENSE", a bare warranty disclaimer).
UNKNOWN_KEYS = re.compile(r"^LicenseRef-scancode-(unknown|free-unknown|warranty-disclaimer)", re.IGNORECASE)


def log(*a) -> None:
    print(*a, file=sys.stderr, flush=True)


@lru_cache(maxsize=1)
def licensing():
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


# ----------------------------------------------------------------------------------------
# Ground truth: an independent DEP-5 reader
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stanza:
    patterns: tuple[str, ...]
    name: str  # the License: short name as written
    expression: str | None  # SPDX, None when unmapped
    line: int
    regex: re.Pattern


def _dep5_regex(patterns) -> re.Pattern:
    """DEP-5 globs: ``*`` matches anything including ``/``, ``?`` one character, ``\\`` escapes."""
    alts = []
    for p in patterns:
        p = p[2:] if p.startswith("./") else p
        out, i = [], 0
        while i < len(p):
            c = p[i]
            if c == "\\" and i + 1 < len(p):
                out.append(re.escape(p[i + 1]))
                i += 2
                continue
            out.append({"*": ".*", "?": "."}.get(c) or re.escape(c))
            i += 1
        alts.append("".join(out))
    return re.compile("|".join(f"(?:{a})" for a in alts), re.DOTALL)


def debian_name_to_spdx(name: str, package: str = "") -> str | None:
    """One DEP-5 licence short-name expression ("GPL-2+ or BSD-2-clause", "Expat") as SPDX."""
    names = {**DEBIAN_NAMES, **DEBIAN_NAMES_BY_PACKAGE.get(package, {})}

    def one(term: str) -> str | None:
        term = term.strip()
        m = _WITH.match(term)
        if m:
            lic, exc = one(m["lic"]), DEBIAN_EXCEPTIONS.get(m["exc"].strip().lower())
            return f"{lic} WITH {exc}" if lic and exc else None
        m = _GNU.match(term)
        if m:
            version = m[2] if "." in m[2] else m[2] + ".0"
            return f"{m[1].upper()}-{version}-{'or-later' if m[3] else 'only'}"
        m = _BSD.match(term)
        if m:
            return f"BSD-{m[1]}-Clause"
        if term.lower() in names:
            return names[term.lower()]
        try:
            parsed = licensing().parse(term, validate=True, strict=True)
        except Exception:
            return None
        return str(parsed) if parsed is not None else None

    name = name.strip().rstrip(",")
    if not name:
        return None
    parts = re.split(r"\s+(or|and)\s+", name, flags=re.IGNORECASE)  # DEP-5: "and" binds tighter than "or"
    terms, ops = parts[0::2], [p.upper() for p in parts[1::2]]
    spdx = [one(t) for t in terms]
    if any(s is None for s in spdx):
        return None
    expr = spdx[0]
    for op, s in zip(ops, spdx[1:]):
        expr = f"{expr} {op} {s}"
    return normalize(expr)


def read_dep5(path: Path, package: str = "") -> list[Stanza]:
    """``Files:`` stanzas of a DEP-5 file, in order. Paragraphs are separated by blank lines,
    field names are case-insensitive, and a value continues on lines that start with white space."""
    text = path.read_text("utf-8", "replace")
    if not text.lower().startswith("format:"):
        return []
    stanzas: list[Stanza] = []
    fields: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    current = None

    def flush():
        if "files" in fields and "license" in fields:
            patterns = tuple(" ".join(fields["files"]).split())
            name = fields["license"][0]
            stanzas.append(Stanza(patterns, name, debian_name_to_spdx(name, package), lines["files"], _dep5_regex(patterns)))
        fields.clear()
        lines.clear()

    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            flush()
            current = None
        elif line[:1] in (" ", "\t"):
            if current:
                fields[current].append(line.strip())
        elif ":" in line and not line.startswith("#"):
            key, value = line.split(":", 1)
            current = key.strip().lower()
            fields[current] = [value.strip()]
            lines[current] = no
    flush()
    return stanzas


def dep5_truth(stanzas: list[Stanza], relpath: str) -> Stanza | None:
    for s in reversed(stanzas):  # DEP-5: the last matching stanza wins
        if s.regex.fullmatch(relpath):
            return s
    return None


# ----------------------------------------------------------------------------------------
# Comparing expressions
# ----------------------------------------------------------------------------------------
def normalize(expr: str | None) -> str | None:
    if not expr or not str(expr).strip():
        return None
    try:
        parsed = licensing().parse(str(expr))
    except Exception:
        return None
    return str(parsed) if parsed is not None else None


def keys(expr: str) -> frozenset[str]:
    return frozenset(k.lower() for k in licensing().license_keys(licensing().parse(expr)))


def is_unknown(expr: str | None) -> bool:
    return expr is None or all(UNKNOWN_KEYS.match(k) or k == "unknown" for k in keys(expr))


def compare(ours: str | None, truth: str | None) -> str:
    """exact | equivalent | wrong | unknown | no-truth."""
    if truth is None:
        return "no-truth"
    ours = normalize(ours)
    if ours is None or is_unknown(ours):
        return "unknown"
    lic = licensing()
    a, b = lic.parse(ours), lic.parse(truth)
    if a == b or a.simplify() == b.simplify():
        return "exact"
    return "equivalent" if keys(ours) == keys(truth) else "wrong"


def agrees(expr: str | None, truth: str | None) -> bool:
    return compare(expr, truth) in ("exact", "equivalent")


# ----------------------------------------------------------------------------------------
# Sources
# ----------------------------------------------------------------------------------------
@dataclass
class Source:
    package: Package
    spec: Path  # a directory (Debian) or an archive (wheel, npm tarball)
    repo_name: str
    stanzas: list | None = None  # Debian only

    @property
    def version(self) -> str:
        return self.package.version


def fetch_all(packages, cache: Path) -> tuple[list[Source], list[str]]:
    from auditor.corpus.archives import archive_identity

    sources, skipped = [], []
    for p in packages:
        if p.kind == "debian":
            path, why = debian_source_tree(p.name, p.version, cache)
        elif p.kind == "pypi":
            path, why = pypi_wheel(p.name, p.version, cache)
        else:
            path, why = npm_tarball(p.name, p.version, cache)
        if path is None:
            skipped.append(why)
            log(f"skipped: {why}")
            continue
        if path.is_dir():
            src = Source(p, path, path.name, read_dep5(path / "debian" / "copyright", p.name))
        else:
            src = Source(p, path, archive_identity(path)[0])
        sources.append(src)
    return sources, skipped


def truth_for(src: Source, relpath: str) -> tuple[str | None, str]:
    if src.package.kind != "debian":
        return src.package.declared, "declared"
    st = dep5_truth(src.stanzas, relpath)
    if st is None:
        return None, "no DEP-5 stanza matches"
    return st.expression, f"debian/copyright:{st.line} Files: {' '.join(st.patterns)[:80]} License: {st.name}"


def _plain_tree(root: Path, repo_name: str, revision, stats):
    from auditor.corpus.evidence import NO_EVIDENCE
    from auditor.corpus.trees import iter_tree

    return iter_tree(root, repo_name, revision=revision, stats=stats, evidence=NO_EVIDENCE)


def plain_files(src: Source, limit: int | None):
    """The files auditor's reader yields for ``src``, without any package licence evidence;
    archives are extracted the same safe way, inside the iteration (so it is timed)."""
    from auditor.corpus.archives import ArchiveLimits, archive_identity, extract_archive
    from auditor.corpus.files import ReadStats

    stats = ReadStats()
    if src.spec.is_dir():
        yield from itertools.islice(_plain_tree(src.spec, src.repo_name, None, stats), limit)
        return
    repo_name, revision = archive_identity(src.spec)
    with tempfile.TemporaryDirectory(prefix="licbench-") as tmp:
        dest = Path(tmp)
        extract_archive(src.spec, dest, limits=ArchiveLimits(), stats=stats)
        root = dest
        entries = list(dest.iterdir())
        if revision is None and len(entries) == 1 and entries[0].is_dir():
            root = entries[0]
        yield from itertools.islice(_plain_tree(root, repo_name, revision, stats), limit)


def extract_for_scancode(src: Source, into: Path) -> Path:
    """A directory holding ``src``'s files under the same relative paths as in the index."""
    from auditor.corpus.archives import ArchiveLimits, archive_identity, extract_archive
    from auditor.corpus.files import ReadStats

    if src.spec.is_dir():
        return src.spec
    dest = into / src.repo_name.replace("/", "_")
    dest.mkdir(parents=True, exist_ok=True)
    extract_archive(src.spec, dest, limits=ArchiveLimits(), stats=ReadStats())
    entries = list(dest.iterdir())
    if archive_identity(src.spec)[1] is None and len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return dest


# ----------------------------------------------------------------------------------------
# Builds
# ----------------------------------------------------------------------------------------
def timed_build(label: str, sources: list[Source], out: Path, limit: int | None, *, mode: str) -> dict:
    """mode: licensing | no-header-scan | no-licensing."""
    from auditor import api
    from auditor.corpus import iter_source
    from auditor.index.builder import build

    specs = [str(s.spec) for s in sources]
    t0 = time.perf_counter()
    if mode == "no-licensing":
        files = (sf for s in sources for sf in plain_files(s, limit))
        _, stats = build(specs, out, files=files, workers=2, scan_headers=False, show_progress=False)
    elif limit is None:
        _, stats = api.build_index(specs, out, workers=2, show_progress=False, scan_headers=(mode == "licensing"))
    else:
        files = (sf for spec in specs for sf in itertools.islice(iter_source(spec), limit))
        _, stats = build(specs, out, files=files, workers=2, scan_headers=(mode == "licensing"), show_progress=False)
    wall = time.perf_counter() - t0
    row = {"mode": label, "seconds": round(wall, 2), "files": stats.files, "blobs": stats.blobs,
           "files_per_s": round(stats.files / wall, 1), "mb": round(stats.bytes / 1e6, 2),
           "scan_cache_hits": getattr(stats, "scan_cache_hits", None)}
    log(f"{label}: {stats.summary()} (wall {wall:.1f} s)")
    return row


def build_in_subprocess(label: str, mode: str, out: Path, args) -> dict:
    """``timed_build`` in a fresh interpreter, so no build profits from ScanCode's licence index
    or imports that an earlier build loaded into this process."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--internal-build", mode, "--internal-label", label,
           "--internal-out", str(out), "--cache", str(args.cache)]
    if args.packages:
        cmd += ["--packages", args.packages]
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{label}: build failed (exit {r.returncode})")
    return json.loads(r.stdout.strip().splitlines()[-1])


def fingerprint_only(sources: list[Source], limit: int | None) -> dict:
    from auditor.config import IndexConfig
    from auditor.index.builder import fingerprint

    config = IndexConfig()
    files = [sf for s in sources for sf in plain_files(s, limit)]
    seen, todo = set(), []
    for sf in files:
        if sf.blob_id not in seen:
            seen.add(sf.blob_id)
            todo.append(sf)
    t0 = time.perf_counter()
    for sf in todo:
        fingerprint(sf.content, sf.language, config)
    dt = time.perf_counter() - t0
    return {"mode": "fingerprint only (1 process, distinct blobs)", "seconds": round(dt, 2), "files": len(files),
            "blobs": len(todo), "files_per_s": round(len(files) / dt, 1)}


# ----------------------------------------------------------------------------------------
# ScanCode full-file baseline
# ----------------------------------------------------------------------------------------
def _sc_init() -> None:
    import scancode.api  # noqa: F401
    from licensedcode.cache import get_index

    get_index()


def _sc_scan(location: str) -> dict:
    from scancode.api import get_copyrights, get_licenses

    t0 = time.perf_counter()
    try:
        lic = get_licenses(location, deadline=time.time() + 120)
        cop = get_copyrights(location, deadline=time.time() + 120)
        err = None
    except Exception as e:  # a baseline failure is a data point, not a crash
        lic, cop, err = {}, {}, f"{type(e).__name__}: {e}"
    return {"spdx": lic.get("detected_license_expression_spdx"), "holders": [h["holder"] for h in cop.get("holders", [])],
            "seconds": time.perf_counter() - t0, "error": err}


def scancode_baseline(sample: list[tuple[str, str, str, str | None]], workers: int = 2) -> dict:
    """sample: (package, path, location, truth)."""
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, initializer=_sc_init) as pool:
        # one trivial task per worker first, so the index load is timed apart from the scans
        list(pool.map(_sc_scan, [sample[0][2]] * workers))
        load = time.perf_counter() - t0
        t1 = time.perf_counter()
        results = list(pool.map(_sc_scan, [loc for _, _, loc, _ in sample]))
        scan = time.perf_counter() - t1
    verdicts = [compare(r["spdx"], truth) for r, (_, _, _, truth) in zip(results, sample)]
    per = sorted(r["seconds"] for r in results)
    return {
        "files": len(sample), "workers": workers, "index_load_seconds": round(load, 1), "scan_seconds": round(scan, 1),
        "files_per_s": round(len(sample) / scan, 2), "files_per_s_with_load": round(len(sample) / (scan + load), 2),
        "per_file_seconds": {"median": round(statistics.median(per), 3), "p95": round(per[int(0.95 * (len(per) - 1))], 3),
                             "max": round(per[-1], 3)},
        "errors": sum(1 for r in results if r["error"]),
        "accuracy": tally(verdicts),
        "with_holders": sum(1 for r in results if r["holders"]),
        "_results": results,
    }


# ----------------------------------------------------------------------------------------
# Accuracy
# ----------------------------------------------------------------------------------------
VERDICTS = ("exact", "equivalent", "wrong", "unknown")


def tally(verdicts: list[str]) -> dict:
    n = sum(1 for v in verdicts if v != "no-truth")
    out = {"files": n, "no_truth": sum(1 for v in verdicts if v == "no-truth")}
    for v in VERDICTS:
        c = sum(1 for x in verdicts if x == v)
        out[v] = c
        out[f"{v}_rate"] = round(c / n, 4) if n else None
    return out


SELF_SOURCES = ("spdx-tag", "header")
_SPDX_TAG = re.compile(r"SPDX-License-Identifier:\s*([A-Za-z0-9.+:()\- ]+)", re.IGNORECASE)


def evaluate(index_dir: Path, sources: list[Source]) -> tuple[list[dict], dict]:
    """Per-file records and per-package summaries from the index's files.parquet."""
    import pyarrow.parquet as pq

    by_repo = {s.repo_name: s for s in sources}
    rows = pq.read_table(index_dir / "files.parquet",
                         columns=["repo_name", "path", "license", "license_evidence", "license_conflict",
                                  "holders"]).to_pylist()
    records = []
    for r in rows:
        src = by_repo.get(r["repo_name"])
        if src is None:
            continue
        truth, where = truth_for(src, r["path"])
        evidence = json.loads(r["license_evidence"] or "[]")
        own_all = [e for e in evidence if e.get("source") in SELF_SOURCES]
        own = [e for e in own_all if not is_unknown(normalize(e.get("expression")))]
        verdict = compare(r["license"], truth)
        tag_text = None
        if src.spec.is_dir():  # independent check of the file's own SPDX tag (trees on disk)
            try:
                head = "\n".join((src.spec / r["path"]).read_text("utf-8", "replace").splitlines()[:60])
            except OSError:
                head = ""
            tags = [m.group(1).strip() for m in _SPDX_TAG.finditer(head)]
            tag_text = " AND ".join(f"({t})" if len(tags) > 1 else t for t in tags) or None
        records.append({
            "package": src.package.name, "version": src.version, "kind": src.package.kind, "path": r["path"],
            "ours": r["license"], "truth": truth, "truth_from": where, "verdict": verdict,
            "decided_by": evidence[0]["source"] if evidence else None,
            # the file's own SPDX tag or header names something else than the truth: a real conflict
            "own_disagrees": truth is not None and any(not agrees(e["expression"], truth) for e in own),
            "own": [e["expression"] for e in own],
            "own_says_nothing": len(own_all) > len(own),  # e.g. a header read as only a warranty disclaimer
            "spdx_tag": tag_text,
            "spdx_tag_disagrees": bool(tag_text) and truth is not None and normalize(tag_text) is not None
            and not agrees(tag_text, truth),
            "spdx_tag_missed": bool(tag_text) and normalize(tag_text) is not None
            and not any(e.get("source") == "spdx-tag" for e in evidence),
            "conflict_flag": bool(r["license_conflict"]), "holders": len(r["holders"] or []) > 0,
            "evidence": evidence,
        })
    summary = {}
    for src in sources:
        recs = [x for x in records if x["package"] == src.package.name]
        t = tally([x["verdict"] for x in recs])
        wrong = [x for x in recs if x["verdict"] == "wrong"]
        t.update({
            "version": src.version, "kind": src.package.kind, "note": src.package.note,
            "own_disagrees": sum(1 for x in recs if x["own_disagrees"]),
            "own_says_nothing": sum(1 for x in recs if x["own_says_nothing"]),
            "wrong_where_own_disagrees": sum(1 for x in wrong if x["own_disagrees"]),
            "spdx_tags": sum(1 for x in recs if x["spdx_tag"]),
            "spdx_tag_disagrees": sum(1 for x in recs if x["spdx_tag_disagrees"]),
            "spdx_tag_missed": sum(1 for x in recs if x["spdx_tag_missed"]),
            "with_holders": sum(1 for x in recs if x["holders"]),
            "conflict_flag": sum(1 for x in recs if x["conflict_flag"]),
            "decided_by": dict(sorted(_count(x["decided_by"] for x in recs).items(), key=lambda kv: -kv[1])),
            "truth_licences": dict(sorted(_count(x["truth"] for x in recs).items(), key=lambda kv: -kv[1])),
        })
        summary[src.package.name] = t
    return records, summary


def _count(items) -> dict:
    out: dict = {}
    for i in items:
        out[str(i)] = out.get(str(i), 0) + 1
    return out


def pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def markdown(summary: dict, overall: dict, speed: list[dict], sc: dict | None, sc_ours: dict | None,
             ratio: dict) -> str:
    lines = ["### Licence accuracy per file", "",
             "| package | version | files | exact | equivalent | wrong | unknown | own tag/header ≠ truth "
             "| wrong, not explained by own tag/header | conflict flag set | decided by |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, t in list(summary.items()) + [("**all**", overall)]:
        decided = ", ".join(f"{k} {v}" for k, v in list(t.get("decided_by", {}).items())[:4])
        lines.append(f"| {name} | {t.get('version', '')} | {t['files']} | {pct(t['exact_rate'])} | "
                     f"{pct(t['equivalent_rate'])} | {pct(t['wrong_rate'])} ({t['wrong']}) | {pct(t['unknown_rate'])} "
                     f"({t['unknown']}) | {t['own_disagrees']} | {t['wrong'] - t['wrong_where_own_disagrees']} | "
                     f"{t['conflict_flag']} | {decided} |")
    lines += ["", f"Files with at least one copyright holder: {overall['with_holders']} of {overall['files']}. "
              f"Files whose header finding is only an unknown reference or a warranty disclaimer: "
              f"{overall['own_says_nothing']}. "
              f"SPDX tags in Debian files: {overall['spdx_tags']}, of which auditor missed {overall['spdx_tag_missed']} "
              f"and {overall['spdx_tag_disagrees']} disagree with DEP-5."]
    lines += ["", "### Build speed (2 workers, same sources)", "",
              "| build | seconds | files | files/s | × no-licensing |", "|---|---|---|---|---|"]
    base = next((r["seconds"] for r in speed if r["mode"].startswith("no licensing")), None)
    for r in speed:
        x = f"{r['seconds'] / base:.2f}" if base and "fingerprint" not in r["mode"] else "-"
        lines.append(f"| {r['mode']} | {r['seconds']} | {r['files']} | {r['files_per_s']} | {x} |")
    lines += ["", f"Licensing/no-licensing ratio: cold cache {ratio.get('cold')}, warm cache {ratio.get('warm')} "
              f"(target ≤ 3)."]
    if sc:
        lines += ["", f"### ScanCode full-file scan vs auditor, on a sample of {sc['files']} files", "",
                  "| method | files/s | exact | equivalent | wrong | unknown |", "|---|---|---|---|---|---|"]
        a = sc["accuracy"]
        lines.append(f"| ScanCode get_licenses + get_copyrights, 2 processes (index load "
                     f"{sc['index_load_seconds']} s excluded) | {sc['files_per_s']} | {pct(a['exact_rate'])} | "
                     f"{pct(a['equivalent_rate'])} | {pct(a['wrong_rate'])} | {pct(a['unknown_rate'])} |")
        if sc_ours:
            lines.append(f"| auditor (same files, from the licensing build) | {sc_ours['files_per_s']} | "
                         f"{pct(sc_ours['exact_rate'])} | {pct(sc_ours['equivalent_rate'])} | {pct(sc_ours['wrong_rate'])} "
                         f"| {pct(sc_ours['unknown_rate'])} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--packages", help="comma-separated package names (default: all): "
                    + ",".join(p.name for p in PACKAGES))
    ap.add_argument("--limit", type=int, help="at most N files per package (quick runs)")
    ap.add_argument("--scancode-files", type=int, default=200,
                    help="files in the ScanCode full-file sample (0: skip; default 200)")
    ap.add_argument("--no-speed", action="store_true", help="only the accuracy build")
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--json", type=Path, default=RESULTS)
    ap.add_argument("--keep-index", type=Path, help="build the licensing index here and keep it")
    ap.add_argument("--internal-build", choices=("licensing", "no-header-scan", "no-licensing"), help=argparse.SUPPRESS)
    ap.add_argument("--internal-label", help=argparse.SUPPRESS)
    ap.add_argument("--internal-out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    started = time.perf_counter()
    wanted = PACKAGES
    if args.packages:
        names = [n.strip() for n in args.packages.split(",") if n.strip()]
        unknown = [n for n in names if n not in {p.name for p in PACKAGES}]
        if unknown:
            ap.error(f"unknown packages: {', '.join(unknown)}")
        wanted = [p for p in PACKAGES if p.name in names]
    sources, skipped = fetch_all(wanted, args.cache)
    if args.internal_build:
        print(json.dumps(timed_build(args.internal_label, sources, args.internal_out, args.limit,
                                     mode=args.internal_build)))
        return 0
    if not sources:
        print(f"licensing_accuracy: skipped, no package could be fetched: {'; '.join(skipped)}")
        return 0
    unmapped = sorted({st.name for s in sources for st in (s.stanzas or []) if st.expression is None})
    if unmapped:
        log(f"DEP-5 names without an SPDX mapping (their files count as no-truth): {unmapped}")

    work = Path(tempfile.mkdtemp(prefix="licbench-"))
    # A private ScanCode result cache, so the first licensing build is cold.
    os.environ["AUDITOR_CACHE_DIR"] = str(work / "auditor-cache")
    speed: list[dict] = []
    try:
        index_dir = args.keep_index or work / "idx-licensing"
        if not args.no_speed:
            speed.append(fingerprint_only(sources, args.limit))  # also warms the page cache
            speed.append(build_in_subprocess("no licensing (no package evidence, no header scan)", "no-licensing",
                                             work / "idx-plain", args))
            speed.append(build_in_subprocess("scan_headers=False (package evidence only)", "no-header-scan",
                                             work / "idx-noscan", args))
        speed.append(build_in_subprocess("licensing (default), ScanCode cache cold", "licensing", index_dir, args))
        if not args.no_speed:
            speed.append(build_in_subprocess("licensing (default), ScanCode cache warm", "licensing",
                                             work / "idx-warm", args))
        records, summary = evaluate(index_dir, sources)
        overall = tally([r["verdict"] for r in records])
        overall.update({k: sum(t[k] for t in summary.values()) for k in
                        ("own_disagrees", "own_says_nothing", "wrong_where_own_disagrees", "spdx_tags", "spdx_tag_disagrees",
                         "spdx_tag_missed", "with_holders", "conflict_flag")})
        overall["decided_by"] = dict(sorted(_count(r["decided_by"] for r in records).items(), key=lambda kv: -kv[1]))
        by_mode = {r["mode"]: r["seconds"] for r in speed}
        base = next((v for k, v in by_mode.items() if k.startswith("no licensing")), None)
        ratio = {}
        if base:
            ratio = {"cold": round(by_mode["licensing (default), ScanCode cache cold"] / base, 2),
                     "warm": round(by_mode["licensing (default), ScanCode cache warm"] / base, 2),
                     "no_header_scan": round(by_mode["scan_headers=False (package evidence only)"] / base, 2)}

        sc = sc_ours = None
        if args.scancode_files > 0:
            with_truth = sorted((r for r in records if r["truth"] is not None), key=lambda r: (r["package"], r["path"]))
            step = max(1, len(with_truth) // args.scancode_files)
            sample_recs = with_truth[::step][: args.scancode_files]
            roots = {s.package.name: extract_for_scancode(s, work / "extracted") for s in sources}
            sample = [(r["package"], r["path"], str(roots[r["package"]] / r["path"]), r["truth"]) for r in sample_recs]
            log(f"ScanCode full-file scan of {len(sample)} files in 2 processes ...")
            sc = scancode_baseline(sample)
            results = sc.pop("_results")
            sc["files_list"] = [{"package": p, "path": path, "truth": t, "scancode": r["spdx"],
                                 "auditor": rec["ours"], "seconds": round(r["seconds"], 3), "error": r["error"]}
                                for (p, path, _, t), r, rec in zip(sample, results, sample_recs)]
            sc_ours = tally([rec["verdict"] for rec in sample_recs])
            lic_row = next(r for r in speed if r["mode"].endswith("cold"))
            sc_ours["files_per_s"] = lic_row["files_per_s"]
    finally:
        if not args.keep_index:
            shutil.rmtree(work, ignore_errors=True)

    disagreements = [{**{k: r[k] for k in ("package", "path", "verdict", "ours", "truth", "truth_from", "decided_by",
                                           "own_disagrees", "spdx_tag", "evidence")},
                      "class": "file's own tag/header differs from the truth" if r["own_disagrees"]
                      else "package-level evidence read differently"}
                     for r in records if r["verdict"] in ("wrong", "unknown", "equivalent")]
    versions = {"python": platform.python_version()}
    for dist in ("scancode-toolkit", "license-expression", "debian-inspector", "pyarrow"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:
            versions[dist] = None
    git = git_state(REPO)
    if git:
        versions["git_commit"], versions["git_dirty_auditor"] = git["commit"], git["dirty"]
    out = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "versions": versions,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "options": {"packages": [s.package.name for s in sources], "limit": args.limit,
                    "scancode_files": args.scancode_files},
        "skipped": skipped,
        "dep5_unmapped_names": unmapped,
        "debian_name_map": DEBIAN_NAMES, "debian_name_map_by_package": DEBIAN_NAMES_BY_PACKAGE,
        "packages": summary,
        "overall": overall,
        "speed": speed,
        "ratio_licensing_vs_none": ratio,
        "scancode_full_file": sc,
        "auditor_on_scancode_sample": sc_ours,
        "disagreements": disagreements,
        "seconds": round(time.perf_counter() - started, 1),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(markdown(summary, overall, speed, sc, sc_ours, ratio))
    if skipped:
        print("\nSkipped: " + "; ".join(skipped))
    log(f"wrote {args.json} in {out['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
