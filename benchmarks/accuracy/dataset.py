#!/usr/bin/env python
"""The labelled set of the accuracy benchmark: a corpus of real packages and cases drawn from it.

Packages are pinned and fetched through their clients (``benchmarks/fetch.py``, cached in
``benchmarks/.cache/``): PyPI wheels and npm tarballs with a declared licence, Debian source
packages (C and Java) with per-file truth from DEP-5 (``licensing_accuracy``'s parser). The
*indexed* packages make the corpus, read with ``auditor.corpus.iter_source`` so paths match the
index; the *held-out* packages (same purposes, never indexed) give unseen negatives.

Cases, per language (python, javascript, c, java):

- positives: functions sampled round-robin over packages; each gives up to three units
  (``150-chars``, ``10-lines``, ``function``), each unit four kinds: type1 verbatim, type2
  renamed, type3 ~20% of lines edited, type4 reformatted without comments (``units.py``, ``transforms.py``).
  ``source_file_ids`` lists every corpus file that contains the unit verbatim.
- ``unseen``: units of held-out functions sharing no whitespace-free 50-character substring with
  the corpus (64-bit rolling hashes, sorted, ``np.searchsorted``; hits verified by string compare).
- ``boilerplate``: import/include/require blocks, licence headers, ``__main__`` guards and Java
  accessor pairs taken from corpus files: indexed, but not evidence of copying.

About 30% of the origin files of each language and group are ``dev`` (the first in the order of
a hash of the package and path, so one file's cases share a split), the rest ``test``. Same cache, same output: every random choice is
seeded by a string (a case id, or the language and package).

    /work/venv/bin/python benchmarks/accuracy/dataset.py --small     # ~5 functions per language
    /work/venv/bin/python benchmarks/accuracy/dataset.py             # ~60 functions per language
"""
from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
import hashlib
import json
from pathlib import Path
import random
import re
import sys
import time

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import fetch  # noqa: E402
import licensing_accuracy as la  # noqa: E402

sys.path.insert(0, str(HERE))
import boilerplate_cuts  # noqa: E402
from cases import LANGUAGES, POSITIVE_KINDS, Case, CorpusFile, write_jsonl  # noqa: E402
import transforms  # noqa: E402
import units  # noqa: E402

P = la.Package
# (package, main language, role, in the small set)
PACKAGES: tuple[tuple[la.Package, str, str, bool], ...] = tuple(
    (p, {"debian": "c", "pypi": "python", "npm": "javascript"}[p.kind], "indexed",
     p.name in ("requests", "six", "lz4", "minimist", "tslib")) for p in la.PACKAGES) + (
    (P("pypi", "click", "8.1.7", "BSD-3-Clause", "LICENSE.txt: BSD-3-Clause"), "python", "indexed", False),
    (P("debian", "libcommons-lang3-java", "3.12.0-2+deb12u1", note="Apache-2.0"), "java", "indexed", False),
    (P("debian", "commons-io", "2.11.0-2", note="Apache-2.0"), "java", "indexed", False),
    (P("debian", "jsoup", "1.15.3-1", note="MIT"), "java", "indexed", True),
    (P("pypi", "charset-normalizer", "3.3.2", "MIT", "same purpose as chardet"), "python", "held-out", False),
    (P("pypi", "urllib3", "2.2.2", "MIT", "requests' transport"), "python", "held-out", True),
    (P("npm", "underscore", "1.13.6", "MIT", "same purpose as lodash"), "javascript", "held-out", True),
    (P("npm", "ramda", "0.29.1", "MIT", "functional utilities, like lodash"), "javascript", "held-out", False),
    (P("debian", "zlib", "1:1.2.13.dfsg-1", note="Zlib; compression, like libzstd/lz4"), "c", "held-out", True),
    (P("debian", "giflib", "5.2.1-2.5+deb12u1", note="MIT; image codec, like libpng"), "c", "held-out", False),
    (P("debian", "libcommons-collections4-java", "4.2-1", note="Apache-2.0"), "java", "held-out", False),
    (P("debian", "libcommons-codec-java", "1.15-1", note="Apache-2.0"), "java", "held-out", True),
)
EXTENSIONS = {".py": "python", ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript",
              ".c": "c", ".h": "c", ".java": "java"}
MIN_LINES, MAX_LINES, MIN_TOKENS = 6, 80, 25
MAX_LEX = 300_000  # larger files are indexed but not sampled (generated tables, lodash.js)
WINDOW = 50
DEV_SHARE = 30  # percent


@dataclass
class Read:
    package: la.Package
    key: str  # "pypi/requests@2.32.3"
    language: str
    role: str
    spec: Path
    files: list[tuple[str, str, str, str | None]]  # (path, language, content, truth licence)


def package_key(p: la.Package) -> str:
    return f"{p.kind}/{p.name}@{p.version}"


def language_of(path: str) -> str | None:
    m = re.search(r"\.[A-Za-z]+$", path)
    return EXTENSIONS.get(m.group(0)) if m else None


def minified(path: str, content: str) -> bool:
    parts = path.split("/")
    return (path.endswith((".min.js", "-min.js")) or max(map(len, content.splitlines()), default=0) > 1000
            or (("dist" in parts or "bundles" in parts) and len(content) > 100_000))


def read_packages(small: bool, cache: Path) -> tuple[list[Read], list[str]]:
    from auditor.corpus import iter_source

    wanted = [(p, lang, role) for p, lang, role, in_small in PACKAGES if in_small or not small]
    sources, skipped = la.fetch_all([p for p, _, _ in wanted], cache)
    by_name = {s.package.name: s for s in sources}
    reads = []
    for p, lang, role in wanted:
        src = by_name.get(p.name)
        if src is None:
            continue
        files = []
        try:
            for sf in iter_source(str(src.spec)):
                fl = language_of(sf.path)
                if fl is None or (fl == "javascript" and minified(sf.path, sf.content)):
                    continue
                files.append((sf.path, fl, sf.content, la.truth_for(src, sf.path)[0]))
        except Exception as e:  # an unreadable package is skipped, not fatal
            skipped.append(f"{package_key(p)}: skipped, reading failed ({type(e).__name__}: {str(e)[:120]})")
            continue
        reads.append(Read(p, package_key(p), lang, role, src.spec, sorted(files)))
    return reads, skipped


def _rank(origin: tuple[str, str]) -> str:
    return hashlib.sha256("\0".join(origin).encode()).hexdigest()


def assign_splits(cases: list[Case]) -> list[Case]:
    """About 30% of the origin files (package, path) of each language and group (positives,
    unseen, boilerplate) are ``dev``: the first ones in the order of a hash of the origin. A file
    keeps one split for all its cases, so its cases never straddle the splits."""
    split: dict[tuple[str, str], str] = {}
    for lang in LANGUAGES:
        for group in (POSITIVE_KINDS, ("unseen",), ("boilerplate",)):
            files = sorted({(c.origin["package"], c.origin["path"]) for c in cases
                            if c.language == lang and c.kind in group}, key=_rank)
            dev = sum(split.get(f) == "dev" for f in files)
            want = round(DEV_SHARE / 100 * len(files))
            for f in files:
                if f not in split:
                    split[f] = "dev" if dev < want else "test"
                    dev += split[f] == "dev"
    return [replace(c, split=split[c.origin["package"], c.origin["path"]]) for c in cases]


def short_hash(*parts) -> str:
    return hashlib.sha1("\0".join(map(str, parts)).encode()).hexdigest()[:10]


class Finder:
    """Every corpus file that contains a text verbatim. Each inner line of the text (not its first
    or last, which may be parts of longer lines) is a whole line of any file containing it, so the
    files holding its rarest inner line are the only candidates."""

    def __init__(self, files: list[CorpusFile]):
        self.contents = [f.content for f in files]
        self._joined: str | None = None
        self.lines: dict[str, list[int]] = {}
        for i, c in enumerate(self.contents):
            for line in set(c.split("\n")):
                self.lines.setdefault(line, []).append(i)

    def __call__(self, text: str) -> tuple[int, ...]:
        """Files holding ``text`` verbatim, then those holding it with white space ignored (lodash's
        modules re-indented inside ``lodash.js``, the ESM and CJS builds of one module): a tracer
        naming any of them names a true copy."""
        inner = text.split("\n")[1:-1]
        candidates = min((self.lines.get(x, []) for x in inner), key=len) if inner else range(len(self.contents))
        exact = tuple(i for i in candidates if text in self.contents[i])
        if self._joined is None:
            self._joined = "\0".join(_strip(c) for c in self.contents)
            self._starts = np.cumsum([0] + [len(_strip(c)) + 1 for c in self.contents])
        needle, found, at = _strip(text), set(exact), 0
        while needle and (at := self._joined.find(needle, at)) >= 0:
            found.add(int(np.searchsorted(self._starts, at, side="right")) - 1)
            at += 1
        return exact + tuple(sorted(found - set(exact)))


# ------------------------------------------------------------------------------------------
# Whitespace-free 50-character windows
# ------------------------------------------------------------------------------------------
_BASE = np.uint64(0x100000001B3)


def _strip(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)


def window_hashes(codes: np.ndarray) -> np.ndarray:
    n = len(codes) - WINDOW + 1
    if n <= 0:
        return np.empty(0, np.uint64)
    h = np.zeros(n, np.uint64)
    for k in range(WINDOW):
        h *= _BASE
        h += codes[k:k + n]
    return h


class Windows:
    """The sorted hashes of every whitespace-free 50-character window of the corpus files."""

    def __init__(self, files: list[CorpusFile], chunk: int = 1 << 22):
        self.joined = "\0".join(_strip(f.content) for f in files)  # windows across files contain \0
        codes = _codes(self.joined)
        parts = []
        for c0 in range(0, max(0, len(codes) - WINDOW + 1), chunk):
            piece = codes[c0:c0 + chunk + WINDOW - 1]
            h = window_hashes(piece)
            zeros = np.concatenate([[0], np.cumsum(piece == 0)])
            parts.append(h[(zeros[WINDOW:WINDOW + len(h)] - zeros[:len(h)]) == 0])
        self.hashes = np.concatenate(parts) if parts else np.empty(0, np.uint64)
        self.hashes.sort()  # duplicates kept: np.unique is much slower and searchsorted does not mind

    def shares(self, text: str) -> bool:
        """Whether ``text`` shares a whitespace-free 50-character substring with the corpus
        (a text shorter than that counts as sharing: it cannot be shown unseen)."""
        s = _strip(text)
        if len(s) < WINDOW or not len(self.hashes):
            return len(s) < WINDOW
        h = window_hashes(_codes(s))
        idx = np.minimum(np.searchsorted(self.hashes, h), len(self.hashes) - 1)
        for j in np.nonzero(self.hashes[idx] == h)[0]:
            if s[j:j + WINDOW] in self.joined:  # a verified hit, not a hash collision
                return True
        return False


# ------------------------------------------------------------------------------------------
# Sampling
# ------------------------------------------------------------------------------------------
def _package_functions(files, language: str, rng: random.Random):
    """(path, Source, Func) of one package: one function from each file in a shuffled order, then
    a second one from each, and so on; functions long enough for a 10-line unit first."""
    files = [f for f in files if len(f[1]) <= MAX_LEX]
    rng.shuffle(files)
    later = []
    for path, content in files:
        try:
            src = units.Source(content, language)
            funcs = [f for f in src.functions()
                     if MIN_LINES <= f.end_line - f.start_line + 1 <= MAX_LINES and f.n_tokens >= MIN_TOKENS]
        except Exception:  # a file the lexer or parser cannot take
            continue
        long_ = [f for f in funcs if f.end_line - f.start_line >= 11]
        short = [f for f in funcs if f.end_line - f.start_line < 11]
        rng.shuffle(long_)
        rng.shuffle(short)
        order = long_ + short
        if order:
            yield path, src, order.pop(0)
            later.append((path, src, order))
    while later:
        later = [x for x in later if x[2]]
        for path, src, order in later:
            yield path, src, order.pop(0)


def sample_functions(pools: dict[str, list[tuple[str, str]]], language: str, n: int, salt: str):
    """Up to ``n`` (package, path, Source, Func), round-robin over packages; ``pools`` maps a
    package to its [(path, content)] sorted. A function whose text (white space aside) was taken
    already is skipped: vendored or rebuilt copies (ESM/CJS builds) would make near-duplicate cases."""
    gens = {pkg: _package_functions(pools[pkg], language, random.Random(f"{salt}:{language}:{pkg}")) for pkg in pools}
    seen: set[str] = set()
    out = []
    while len(out) < n and gens:
        for pkg in list(gens):
            for path, src, f in gens[pkg]:
                text = _strip(src.text[slice(*src.span(f.start_line, f.end_line))])
                if text not in seen:
                    seen.add(text)
                    out.append((pkg, path, src, f))
                    break
            else:
                del gens[pkg]
            if len(out) >= n:
                break
    return out


def positives(picks, language, finder, truth, file_ids, stats) -> list[Case]:
    cases = []
    for pkg, path, src, f in picks:
        fid = file_ids[(pkg, path)]
        for unit, a, b in units.unit_spans(src, f, random.Random(f"units:{pkg}:{path}:{f.start_line}")):
            s, e = src.span(a, b)
            text = src.text[s:e]
            ids = finder(text)
            assert fid in ids, (pkg, path, a, b)
            origin = {"package": pkg, "path": path, "start_line": a + 1, "end_line": b + 1, "unit": unit,
                      "function": f.name}
            key = short_hash(pkg, path, a, b, unit)
            for kind in POSITIVE_KINDS:
                cid = f"{language}-{kind}-{key}"
                rng = random.Random(cid)
                extra: dict = {}
                if kind == "type1":
                    snippet = text
                else:
                    res = (transforms.rename(src, s, e, f, rng) if kind == "type2" else
                           transforms.edit(src, s, e, f, rng) if kind == "type3" else transforms.reformat(src, s, e, rng))
                    if res is None or res[0].strip() == text.strip():
                        why = "fewer than 3 renamable names" if kind == "type2" else "no change possible"
                        stats[f"{language} {kind}: units left out, {why}:"] += 1
                        continue
                    snippet = res[0]
                    extra = {"type2": "renamed", "type3": "edits", "type4": "format"}[kind]
                    extra = {extra: res[1]}
                cases.append(Case(cid, kind, language, snippet, ids, {**origin, **extra}, truth[fid]))
    return cases


def unseen(picks, language, windows, target, rows_by_key) -> list[Case]:
    cases = []
    for pkg, path, src, f in picks:
        for unit, a, b in units.unit_spans(src, f, random.Random(f"units:{pkg}:{path}:{f.start_line}")):
            text = src.text[slice(*src.span(a, b))]
            row = rows_by_key[pkg]
            row["unseen_candidates"] += 1
            if windows.shares(text):
                row["unseen_rejected"] += 1
                continue
            if len(cases) >= target:
                continue
            row["unseen_kept"] += 1
            origin = {"package": pkg, "path": path, "start_line": a + 1, "end_line": b + 1, "unit": unit,
                      "function": f.name}
            cid = f"{language}-unseen-{short_hash(pkg, path, a, b, unit)}"
            cases.append(Case(cid, "unseen", language, text, (), origin, row["_truth"].get(path)))
    return cases


def boilerplate(files: list[CorpusFile], language: str, n: int) -> list[Case]:
    by_cat: dict[str, list] = defaultdict(list)
    seen: set[str] = set()
    for f in files:
        if f.language != language:
            continue
        lines = f.content.splitlines(keepends=True)
        starts = np.cumsum([0] + [len(x) for x in lines])
        for cat, a, b in boilerplate_cuts.boilerplate(f.content, language):
            text = f.content[starts[a]:starts[b + 1]].rstrip("\r\n")
            if len(text.strip()) >= 40 and text.strip() not in seen:
                seen.add(text.strip())
                by_cat[cat].append((f, a, b, text))
    for cat, items in by_cat.items():
        random.Random(f"boilerplate:{language}:{cat}").shuffle(items)
    cases, cats = [], sorted(by_cat)
    while len(cases) < n and any(by_cat[c] for c in cats):
        for cat in cats:
            if by_cat[cat] and len(cases) < n:
                f, a, b, text = by_cat[cat].pop(0)
                origin = {"package": f.package, "path": f.path, "start_line": a + 1, "end_line": b + 1, "unit": cat}
                cid = f"{language}-boilerplate-{short_hash(f.package, f.path, a, b, cat)}"
                cases.append(Case(cid, "boilerplate", language, text, (), origin, f.license))
    return cases


def build_dataset(small: bool = False, cache: Path = fetch.CACHE
                  ) -> tuple[list[CorpusFile], list[Case], list[str], list[dict]]:
    """(corpus files, cases, skip reasons, package table rows)."""
    t0 = time.perf_counter()
    reads, skipped = read_packages(small, cache)
    corpus: list[CorpusFile] = []
    rows: list[dict] = []
    for r in reads:
        if r.role == "indexed":
            for path, lang, content, lic in r.files:
                corpus.append(CorpusFile(len(corpus), r.key, path, lang, content, lic))
        rows.append({"package": r.key, "registry": r.package.kind, "name": r.package.name, "version": r.package.version,
                     "role": r.role, "language": r.language, "spec": str(r.spec),
                     "licence": r.package.declared or "per file, from debian/copyright (DEP-5)", "note": r.package.note,
                     "files": dict(sorted(Counter(x[1] for x in r.files).items())),
                     "truth_licences": dict(sorted(Counter(str(x[3]) for x in r.files).items(), key=lambda kv: -kv[1])),
                     **({"unseen_candidates": 0, "unseen_rejected": 0, "unseen_kept": 0}
                        if r.role == "held-out" else {}),
                     "_truth": {x[0]: x[3] for x in r.files}})
    la.log(f"read {len(reads)} packages, {len(corpus)} corpus files in {time.perf_counter() - t0:.1f} s")
    if not corpus:
        return corpus, [], skipped or ["no indexed package could be read"], [_public(r) for r in rows]
    finder = Finder(corpus)
    truth = [f.license for f in corpus]
    file_ids = {(f.package, f.path): f.file_id for f in corpus}
    t1 = time.perf_counter()
    windows = Windows(corpus)
    la.log(f"hashed {len(windows.hashes):,} 50-character windows in {time.perf_counter() - t1:.1f} s")
    rows_by_key = {r["package"]: r for r in rows}
    n_funcs, n_boiler = (5, 5) if small else (60, 30)
    stats: Counter = Counter()
    cases: list[Case] = []
    for lang in LANGUAGES:
        pools = defaultdict(list)
        for f in corpus:
            if f.language == lang:
                pools[f.package].append((f.path, f.content))
        pos = positives(sample_functions(pools, lang, n_funcs, "positive"), lang, finder, truth, file_ids, stats)
        boiler = boilerplate(corpus, lang, n_boiler)
        n_units = sum(1 for c in pos if c.kind == "type1")
        held = defaultdict(list)
        for r in reads:
            if r.role == "held-out" and r.language == lang:
                held[r.key] = [(p, c) for p, fl, c, _ in r.files if fl == lang]
        target = max(n_funcs, n_units - len(boiler))
        picks = sample_functions(held, lang, 2 * target // 3 + 5, "unseen") if held else []
        neg = unseen(picks, lang, windows, target, rows_by_key)
        if len(neg) < target:
            stats[f"{lang} unseen: fewer than the target {target}, short by"] = target - len(neg)
        cases += pos + neg + boiler
        la.log(f"{lang}: {n_units} positive units, {len(neg)} unseen, {len(boiler)} boilerplate "
               f"({time.perf_counter() - t0:.1f} s)")
    notes = [f"cases: {k} {v}" for k, v in sorted(stats.items())]
    return corpus, assign_splits(cases), skipped + notes, [_public(r) for r in rows]


def _public(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def counts_table(cases: list[Case]) -> str:
    kinds = list(POSITIVE_KINDS) + ["unseen", "boilerplate"]
    c = Counter((x.kind, x.language, x.split) for x in cases)
    head = "| kind | " + " | ".join(f"{lang} dev/test" for lang in LANGUAGES) + " | all |"
    lines = [head, "|" + "---|" * (len(LANGUAGES) + 2)]
    for k in kinds:
        cells = [f"{c[k, lang, 'dev']}/{c[k, lang, 'test']}" for lang in LANGUAGES]
        lines.append(f"| {k} | " + " | ".join(cells) + f" | {sum(v for (kk, _, _), v in c.items() if kk == k)} |")
    units_c = Counter((x.language, x.origin.get("unit")) for x in cases if x.kind == "type1")
    lines.append("")
    lines.append("type1 units: " + "; ".join(
        f"{lang} " + ", ".join(f"{u} {units_c[lang, u]}" for u in ("150-chars", "10-lines", "function"))
        for lang in LANGUAGES))
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--small", action="store_true", help="few packages, ~5 functions per language")
    ap.add_argument("--out", type=Path, help="output directory (default benchmarks/.cache/accuracy[-small]/)")
    ap.add_argument("--cache", type=Path, default=fetch.CACHE)
    args = ap.parse_args(argv)
    out = args.out or fetch.CACHE / ("accuracy-small" if args.small else "accuracy")
    started = time.perf_counter()
    corpus, cases, skipped, rows = build_dataset(args.small, args.cache)
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "corpus.jsonl", corpus)
    write_jsonl(out / "cases.jsonl", cases)
    (out / "packages.json").write_text(json.dumps({"small": args.small, "packages": rows, "skipped": skipped},
                                                  indent=1, ensure_ascii=False) + "\n")
    print(f"corpus: {len(corpus)} files, " + ", ".join(
        f"{lang} {sum(1 for f in corpus if f.language == lang)}" for lang in LANGUAGES))
    print(counts_table(cases))
    held = [r for r in rows if r["role"] == "held-out"]
    if held:
        print("unseen candidates rejected (share a 50-char window with the corpus): " + ", ".join(
            f"{r['name']} {r['unseen_rejected']}/{r['unseen_candidates']}" for r in held))
    for s in skipped:
        print(f"skipped: {s}")
    print(f"wrote {out} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
