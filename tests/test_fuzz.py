"""Property-based fuzzing (hypothesis): arbitrary bytes and unicode thrown at the tokenisers,
the readers, the trace and every renderer. The only acceptable outcomes are a result or an
AuditorError (the one-line message the CLI prints with exit status 2); anything else is a
crash. Runs are derandomised so CI sees the same examples every time; the counts are in
docs/reliability.md."""
from __future__ import annotations

from html.parser import HTMLParser
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from wcwidth import wcswidth

from auditor import api
from auditor.errors import AuditorError
from auditor.fingerprint import tokenize
from auditor.fingerprint.tokens import FAMILIES, guess_languages

GOLDEN = Path(__file__).parent / "data" / "golden"
EXAMPLES = 150
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
LANGUAGES = [None, "Python", "Java", "C", "JavaScript", "Shell", "Ruby", "PHP", "Go", "Rust", "Haskell", "Kotlin",
             "SQL", "Lua", "Perl", "HTML"]

# Code-like text: real fragments mixed with arbitrary unicode, quotes, comment openers,
# template markers, control characters and surrogate-escaped bytes.
FRAGMENTS = st.sampled_from(['"', "'", "`", '"""', "/*", "*/", "//", "#", "${", "{", "}", "f'{x!r:>{w}}'", "\\",
                             "\n", "\t", "\x00", "\x1b[31m", "\u202e", "<script>", "](javascript:", "def f(x):",
                             "    return x", "#include <x.h>", "int main() {", "@@ -1 +1 @@", "\r\n", "文字"])
CODEISH = st.lists(st.one_of(FRAGMENTS, st.text(max_size=40)), max_size=40).map("".join)


@pytest.fixture(scope="module")
def six_index(tmp_path_factory):
    out = tmp_path_factory.mktemp("fuzz") / "six"
    api.build_index([str(GOLDEN / "corpus" / "six-1.16.0")], out, workers=1, show_progress=False, scan_headers=False)
    return api.open_index(out, show_progress=False)


@FUZZ
@given(text=CODEISH, language=st.sampled_from(LANGUAGES))
def test_tokenize_never_crashes_and_its_offsets_hold(text, language):
    toks = tokenize(text, language)
    assert len(toks.raw) == len(toks.norm) == len(toks.kinds) == len(toks.starts)
    for raw, a, b in zip(toks.raw, toks.starts.tolist(), toks.ends.tolist()):
        assert 0 <= a < b <= len(text) and text[a:b] == raw
    assert list(toks.starts) == sorted(toks.starts)
    assert guess_languages(text)[0] in (None, "Python", "Shell")
    assert set(FAMILIES)  # every family's scanner compiled


@FUZZ
@given(text=CODEISH, language=st.sampled_from(LANGUAGES))
def test_trace_and_every_renderer_survive_anything(six_index, text, language):
    try:
        result = api.trace_snippet(text, six_index, language=language)
    except AuditorError as e:
        assert str(e) and "\n" not in str(e)
        return
    for fmt in ("text", "markdown"):
        out = api.render(result, fmt)
        assert "\x1b" not in out and "\u202e" not in out
        assert all(wcswidth(line) <= 72 for line in out.splitlines()), fmt
    json.loads(api.render(result, "json"))
    _only_our_tags(api.render(result, "html"))


OUR_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "span", "dl", "dt", "dd", "code", "p",
            "strong", "section", "table", "colgroup", "col", "tr", "th", "td", "pre"}


def _only_our_tags(page: str) -> None:
    class Tags(HTMLParser):
        def __init__(self):
            super().__init__()
            self.seen = set()

        def handle_starttag(self, tag, attrs):
            self.seen.add(tag)
            assert not any(name.startswith("on") for name, _ in attrs), attrs

    parser = Tags()
    parser.feed(page)
    assert parser.seen <= OUR_TAGS, parser.seen - OUR_TAGS


@FUZZ
@given(data=st.binary(max_size=400))
def test_snippet_reader_takes_any_bytes(tmp_path_factory, data):
    from auditor.cli import _read_snippet

    f = tmp_path_factory.mktemp("bytes") / "snippet"
    f.write_bytes(data)
    try:
        assert isinstance(_read_snippet(str(f)), str)
    except AuditorError as e:
        assert "\n" not in str(e)


@FUZZ
@given(text=st.one_of(CODEISH, st.lists(st.sampled_from(
    ["diff --git a/x.py b/x.py\n", "--- a/x.py\n", "+++ b/x.py\n", "@@ -1,2 +1,3 @@\n", "@@ -0,0 +1 @@\n",
     "+def f():\n", "+    return 1\n", " context\n", "-gone\n", "\\ No newline at end of file\n", "Binary files differ\n",
     "From 0000 Mon Sep 17 00:00:00 2001\n", "+\x00\n"]), max_size=20).map("".join)))
def test_patch_review_takes_any_text(six_index, text):
    from auditor.review import review_patch

    try:
        review = review_patch(text, six_index)
    except AuditorError as e:
        assert "\n" not in str(e)
        return
    from auditor.report.review_report import REVIEW_RENDERERS

    for render in REVIEW_RENDERERS.values():
        render(review)


@FUZZ
@given(data=st.one_of(st.binary(max_size=300), st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["schema", "snippet", "text", "sha1", "params", "top_k", "verify", "index", "path", "matches"]),
        children, max_size=5), max_leaves=20).map(lambda v: json.dumps(v).encode())))
def test_verify_takes_any_report(six_index, tmp_path_factory, data):
    from auditor.report.confirm import confirm, load_report

    f = tmp_path_factory.mktemp("report") / "r.json"
    f.write_bytes(data)
    try:
        confirm(load_report(f), six_index)
    except AuditorError as e:
        assert "\n" not in str(e)


@FUZZ
@given(rows=st.lists(st.fixed_dictionaries({"id": st.one_of(st.text(max_size=5), st.integers(), st.none()),
                                            "text": st.one_of(CODEISH, st.none(), st.integers())}), max_size=4),
       kind=st.sampled_from(["jsonl", "csv", "garbage"]))
def test_audit_inputs_take_anything(six_index, tmp_path_factory, rows, kind):
    import csv

    d = tmp_path_factory.mktemp("audit")
    f = d / f"in.{'jsonl' if kind != 'csv' else 'csv'}"
    if kind == "jsonl":
        f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif kind == "csv":
        with open(f, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=["id", "text"])
            w.writeheader()
            w.writerows(rows)
    else:
        f.write_bytes(b"\x00\xff{not json" + json.dumps(rows).encode()[:50])
    try:
        api.audit(f, d / "out", six_index, workers=1, show_progress=False)
    except AuditorError as e:
        assert "\n" not in str(e)


# -- corpus readers: a source tree, JSONL, Stack-style parquet, archives -----------------------

READERS = settings(FUZZ, max_examples=40)
STACK_V2 = ["blob_id", "repo_name", "path", "content", "language", "detected_licenses", "license_type",
            "gha_license_id", "revision_id"]
# Up to 300,000 characters, without asking hypothesis to draw each one.
HUGE = st.tuples(st.text(min_size=1, max_size=4), st.integers(0, 300_000 // 4)).map(lambda t: t[0] * t[1])


def _index_or_one_line_error(source: Path, out: Path) -> None:
    """Build an index of ``source``: it works (and opens), or fails with one AuditorError line."""
    try:
        manifest, _ = api.build_index([str(source)], out, workers=1, show_progress=False, scan_headers=False)
    except AuditorError as e:
        assert str(e) and "\n" not in str(e)
        return
    index = api.open_index(out, show_progress=False)
    assert index.describe()["files"] == manifest["counts"]["files"] >= 1


# File names: any bytes but "/" and NUL (not UTF-8 ones included), with a source extension.
FILE_NAMES = st.tuples(st.binary(min_size=1, max_size=16).map(lambda b: b.replace(b"/", b"_").replace(b"\0", b"_")),
                       st.sampled_from([b".py", b".c", b".js", b".rs", b".sh", b".java"])).map(b"".join)


@READERS
@given(data=st.one_of(st.binary(max_size=2000), CODEISH.map(lambda s: s.encode("utf-8", "surrogatepass")),
                      CODEISH.map(lambda s: s.encode("utf-16")), st.binary(min_size=1, max_size=20).map(
                          lambda b: b * (1_000_001 // len(b) + 1))),
       name=st.sampled_from([b"x.py", b"Makefile"]) | FILE_NAMES)
def test_a_source_tree_takes_any_file(tmp_path_factory, data, name):
    """One file of any bytes (binary, UTF-16, latin-1, lone surrogates, over 1 MB) under any name."""
    import os

    from auditor.corpus import ReadStats, iter_source

    d = tmp_path_factory.mktemp("tree")
    (d / "repo").mkdir()
    with open(os.path.join(os.fsencode(d / "repo"), name), "wb") as fh:
        fh.write(data)
    stats = ReadStats()
    files = list(iter_source(str(d / "repo"), stats=stats))
    assert stats.files == len(files) and stats.files + sum(stats.skipped.values()) == 1  # read, or skipped with a reason
    _index_or_one_line_error(d / "repo", d / "idx")


# Text JSON can carry but UTF-8 cannot: lone surrogates ("\\ud800").
SURROGATES = st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3)
ROW_TEXT = st.one_of(CODEISH, st.text(max_size=30), st.tuples(CODEISH, SURROGATES).map("x = 1 # ".join))
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | ROW_TEXT
JSON_VALUES = JSON_SCALARS | st.recursive(JSON_SCALARS, lambda children: st.lists(children, max_size=3)
                                          | st.dictionaries(st.text(max_size=5), children, max_size=3), max_leaves=8)


# A row with source code and any of The Stack v2's columns, holding anything JSON can hold.
STACK_ROW = st.fixed_dictionaries({"content": ROW_TEXT.map("def f(x):\n    return x\n".__add__)},
                                  optional={k: JSON_VALUES for k in STACK_V2 if k != "content"})
ANY_ROW = st.dictionaries(st.sampled_from(STACK_V2 + ["hexsha", "max_stars_repo_licenses", "lang", "x"]),
                          JSON_VALUES, max_size=8)


@READERS
@given(rows=st.lists(st.one_of(STACK_ROW, ANY_ROW), min_size=1, max_size=5),
       garbage=st.none() | st.binary(max_size=60), gz=st.booleans())
def test_a_jsonl_corpus_takes_any_rows(tmp_path_factory, rows, garbage, gz):
    """JSON lines of odd values (nulls, numbers, objects, lone surrogates), then perhaps a line of bytes."""
    import gzip

    d = tmp_path_factory.mktemp("jsonl")
    data = b"".join(json.dumps(r).encode() + b"\n" for r in rows) + (garbage + b"\n" if garbage is not None else b"")
    f = d / ("corpus.jsonl.gz" if gz else "corpus.jsonl")
    f.write_bytes(gzip.compress(data) if gz else data)
    _index_or_one_line_error(f, d / "idx")


def _parquet_column(draw, n: int, kinds=("null", "text", "int", "list", "binary")):
    """One column of ``n`` values of one odd type: nulls, text (some huge), integers, lists or bytes."""
    import pyarrow as pa

    kind = draw(st.sampled_from(kinds))
    if kind == "null":
        return pa.nulls(n, pa.string())
    if kind == "text":
        text = st.none() | CODEISH | CODEISH.map("def f(x):\n    return x\n".__add__) | HUGE
        return pa.array(draw(st.lists(text, min_size=n, max_size=n)), pa.large_string())
    if kind == "int":
        return pa.array(draw(st.lists(st.none() | st.integers(-2**63, 2**63 - 1), min_size=n, max_size=n)), pa.int64())
    if kind == "list":
        return pa.array(draw(st.lists(st.none() | st.lists(st.none() | st.text(max_size=10), max_size=3),
                                      min_size=n, max_size=n)), pa.list_(pa.string()))
    return pa.array(draw(st.lists(st.none() | st.binary(max_size=50), min_size=n, max_size=n)), pa.binary())


@READERS
@given(data=st.data())
def test_a_stack_parquet_corpus_takes_odd_columns(tmp_path_factory, data):
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = data.draw(st.integers(1, 5))
    others = data.draw(st.lists(st.sampled_from(STACK_V2[:3] + STACK_V2[4:]), max_size=len(STACK_V2) - 1, unique=True))
    # Mostly a text content column (the rows are then mapped), sometimes one of another type or none.
    content = data.draw(st.sampled_from(["text"] * 4 + ["null", "int", "list", "binary", None]))
    table = pa.table({**({"content": _parquet_column(data.draw, n, [content])} if content else {}),
                      **{c: _parquet_column(data.draw, n) for c in others}} or {"x": pa.nulls(n)})
    d = tmp_path_factory.mktemp("parquet")
    pq.write_table(table, d / "stack.parquet")
    _index_or_one_line_error(d / "stack.parquet", d / "idx")


def _valid_archive(suffix: str) -> bytes:
    """A small archive of that kind holding two source files, to be damaged."""
    import io
    import tarfile
    import zipfile

    import textwrap

    # Mostly compressed data, so that most damage lands in it.
    files = {"pkg-1.0/textwrap.py": Path(textwrap.__file__).read_bytes(), "pkg-1.0/b.c": b"int main() { return 0; }\n"}
    buf = io.BytesIO()
    if suffix in (".zip", ".whl"):
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, payload in files.items():
                z.writestr(name, payload)
    else:
        mode = {".tar": "w", ".tar.gz": "w:gz", ".tgz": "w:gz", ".tar.bz2": "w:bz2", ".tar.xz": "w:xz"}[suffix]
        with tarfile.open(fileobj=buf, mode=mode) as tf:
            for name, payload in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(payload)
                tf.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


@settings(READERS, max_examples=50)
@given(suffix=st.sampled_from([".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".whl"]),
       how=st.sampled_from(["bytes", "valid"] + ["damaged"] * 4), garbage=st.binary(max_size=400),
       seed=st.integers(0, 2**32 - 1), n_damage=st.integers(1, 6), cut=st.booleans())
def test_an_archive_takes_any_bytes(tmp_path_factory, suffix, how, garbage, seed, n_damage, cut):
    """Arbitrary bytes under an archive's name, or a real archive with bytes overwritten (and cut
    short) at places spread evenly by a seeded generator, which reaches the compressed data."""
    import random

    data = bytearray(garbage if how == "bytes" else _valid_archive(suffix))
    if how == "damaged":
        rnd = random.Random(seed)
        for _ in range(n_damage):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        if cut:
            del data[rnd.randrange(len(data)):]
    d = tmp_path_factory.mktemp("archive")
    name = "pkg-1.0-py3-none-any.whl" if suffix == ".whl" else f"pkg-1.0{suffix}"
    (d / name).write_bytes(bytes(data))
    _index_or_one_line_error(d / name, d / "idx")
