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
