"""Golden files for every renderer, and the properties a cited report must keep.

The corpus is six 1.16.0 (MIT, Benjamin Peterson; shipped in tests/data/golden/corpus with
its licence); the snippets in tests/data/golden/snippets are a verbatim copy, a renamed
copy, a copy wrapped in hostile text (script tags, Markdown links, terminal escapes, a bidi
override, wide characters) and original code.

Regenerate the expected files only on purpose, and read the diff before committing:

    AUDITOR_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_reports.py
"""
from __future__ import annotations

from dataclasses import replace
import json
import os
from pathlib import Path
import subprocess
import sys

import pytest
from wcwidth import wcswidth

from auditor import api
from auditor.report import RENDERERS
from auditor.report.confirm import confirm, render_confirmation

GOLDEN = Path(__file__).parent / "data" / "golden"
SNIPPETS = sorted(p.stem for p in (GOLDEN / "snippets").glob("*.py"))
REGEN = os.environ.get("AUDITOR_REGEN_GOLDEN") == "1"
EXT = {"text": "txt", "markdown": "md", "json": "json", "html": "html"}
# What differs from one machine to the next is pinned, so the files compare byte for byte.
FIXED_INDEX = {"id": "idx-golden0000000000", "path": "/srv/auditor/idx/six", "manifest_sha256": "0" * 64,
               "sources": ["/srv/corpus/six-1.16.0"]}
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def six_index(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("golden") / "six"
    api.build_index([str(GOLDEN / "corpus" / "six-1.16.0")], out, workers=1, show_progress=False)
    return out


@pytest.fixture(autouse=True)
def _fixed_python(monkeypatch):
    import auditor.report.reproduce as reproduce

    monkeypatch.setattr(reproduce.platform, "python_version", lambda: "3.11.7")


def _pinned(result):
    return replace(result, index={**result.index, **FIXED_INDEX})


def _check_golden(name: str, actual: str) -> None:
    path = GOLDEN / "expected" / name
    if REGEN:
        path.write_text(actual, encoding="utf-8")
        return
    assert path.is_file(), f"no golden file {path}: run with AUDITOR_REGEN_GOLDEN=1 once"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs from its golden file (AUDITOR_REGEN_GOLDEN=1 regenerates it)"


@pytest.fixture(scope="module")
def results(six_index):
    index = api.open_index(six_index)
    return {name: api.trace_snippet((GOLDEN / "snippets" / f"{name}.py").read_text("utf-8"), index)
            for name in SNIPPETS}


def test_the_golden_snippets_cover_every_verdict(results):
    verdicts = {name: r.verdict for name, r in results.items()}
    assert verdicts == {"verbatim": "verbatim", "renamed": "near-verbatim", "hostile": "verbatim",
                        "original": "none"}
    renamed = results["renamed"].matches[0]
    assert renamed.source.path == "six.py" and renamed.source.license == "MIT"
    assert any(not b.exact for b in renamed.blocks)  # the renamed lines are shown as such


@pytest.mark.parametrize("fmt", list(RENDERERS))
@pytest.mark.parametrize("name", SNIPPETS)
def test_renderer_matches_its_golden_file(results, name, fmt):
    _check_golden(f"{name}.{EXT[fmt]}", api.render(_pinned(results[name]), fmt))


@pytest.mark.parametrize("fmt", ["text", "markdown"])
@pytest.mark.parametrize("name", SNIPPETS)
def test_mail_reports_fit_72_columns_without_escapes(results, name, fmt):
    out = api.render(results[name], fmt)  # the real, unpinned paths: long ones must wrap too
    for line in out.splitlines():
        assert wcswidth(line) <= 72, f"{wcswidth(line)} columns: {line!r}"
    assert "\x1b" not in out and "\u202e" not in out


def test_text_report_holds_what_a_reader_checks(results):
    r = results["renamed"]
    out = api.render(r, "text")
    m = r.matches[0]
    for needed in (m.source.swhid, "six.py", f"lines {m.source_lines[0]}-{m.source_lines[1]}", "MIT",
                   "Benjamin Peterson", "because", ">= ", "How to reproduce", "manifest", "auditor verify report.json",
                   "git hash-object SNIPPET", r.snippet.sha1):
        assert needed in out, needed
    # every aligned source line is shown with its own line number
    source = (GOLDEN / "corpus" / "six-1.16.0" / "six.py").read_text().splitlines()
    for b in m.blocks:
        for n in range(b.source_lines[0], b.source_lines[1] + 1):
            if source[n - 1].strip():
                assert f" {n} " in out, n


def test_markdown_and_html_cannot_be_injected(results):
    r = results["hostile"]
    md = api.render(r, "markdown")
    outside_fences, fenced = [], False
    for line in md.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            outside_fences.append(line)
    prose = "\n".join(outside_fences)
    assert "](" not in prose.replace("\\](", "") and "<script" not in prose and "<img" not in prose
    html = api.render(r, "html")
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
    assert "Content-Security-Policy" in html and "script-src 'none'" in html


def test_command_in_the_report_runs_when_pasted(results, six_index, tmp_path):
    """The `\\` continuations of the 72-column command make the same command again in a shell."""
    out = api.render(results["verbatim"], "text")
    rows = out.splitlines()
    start = next(i for i, line in enumerate(rows) if line.strip().startswith("$ auditor trace-snippet"))
    end = next(i for i in range(start, len(rows)) if not rows[i].endswith("\\"))
    pasted = "\n".join(rows[start:end + 1]).strip()[2:]
    snippet = tmp_path / "SNIPPET"
    snippet.write_text((GOLDEN / "snippets" / "verbatim.py").read_text())
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    r = subprocess.run(["bash", "-c", pasted], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["matches"][0]["source_lines"] == list(results["verbatim"].matches[0].source_lines)
    assert report["index"]["path"] == str(six_index.resolve())


def test_verify_confirms_and_pinpoints_tampering(results, six_index, tmp_path):
    report = json.loads(api.render(results["renamed"], "json"))
    ok = confirm(report, six_index)
    assert ok.confirmed and ok.differences == [], ok.differences
    tampered = json.loads(json.dumps(report))
    tampered["matches"][0]["source"]["license"] = "GPL-3.0-only"
    tampered["matches"][0]["source_lines"][1] += 3
    tampered["attribution"]["present_in_snippet"] = True
    bad = confirm(tampered, six_index)
    assert not bad.confirmed
    assert sorted(d.split(":")[0] for d in bad.differences) == [
        "attribution.present_in_snippet", "matches[1].source.license", "matches[1].source_lines"]
    pinned = replace(bad, index_path=FIXED_INDEX["path"])
    _check_golden("verify-tampered.txt", render_confirmation(pinned, "report.json"))
    edited = json.loads(json.dumps(report))
    edited["snippet"]["text"] += "\n# one more line\n"
    assert any(d.startswith("snippet.text") for d in confirm(edited, six_index).differences)


def test_verify_command_exit_status(results, six_index, tmp_path):
    good = tmp_path / "report.json"
    good.write_text(api.render(results["verbatim"], "json"))
    r = subprocess.run([str(BIN / "auditor"), "verify", str(good)], capture_output=True, text=True)
    assert r.returncode == 0 and "CONFIRMED" in r.stdout, r.stdout + r.stderr
    d = json.loads(good.read_text())
    d["matches"][0]["source"]["holders"] = ["Someone Else"]
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(d))
    r = subprocess.run([str(BIN / "auditor"), "verify", str(bad)], capture_output=True, text=True)
    assert r.returncode == 1 and "matches[1].source.holders" in r.stdout and "DIFFERS" in r.stdout
    broken = dict(d, params=["x"])
    for content, needle in (("not json", "not a JSON report"), ('{"schema": "auditor.trace/1"}', "schema"),
                            (json.dumps(broken), "'params' is not an object"),
                            (json.dumps(dict(d, index=dict(d["index"], path=5))), "'path' is not text")):
        (tmp_path / "x.json").write_text(content)
        r = subprocess.run([str(BIN / "auditor"), "verify", str(tmp_path / "x.json")], capture_output=True, text=True)
        assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr


def test_audit_summary_matches_its_golden_file(results):
    from auditor.audit import flat_rows
    from auditor.report.json_report import trace_dict
    from auditor.report.summary import render_markdown, summarize

    flat = []
    for row, name in enumerate(SNIPPETS):
        d = trace_dict(_pinned(results[name]))
        flat += flat_rows(row, {"id": name, "model": "golden-model"}, d, None)
    summary = summarize(flat, _pinned(results[SNIPPETS[0]]).index)  # the counts and config too
    _check_golden("audit-summary.md", render_markdown(summary))
    _check_golden("audit-summary.json", json.dumps(summary, indent=2, ensure_ascii=False) + "\n")


def _golden_patch() -> str:
    """A patch as a maintainer receives it, made of the golden files: it appends the renamed
    copy of six's with_metaclass to a module already holding six's add_metaclass (so its added
    lines are not the file's first), adds the original code as a new module, and adds six's
    licence file (not source code: skipped)."""
    from difflib import unified_diff

    def diff(path: str, old: str, new: str) -> str:
        a, b = (f"a/{path}", f"b/{path}") if old else ("/dev/null", f"b/{path}")
        return f"diff --git a/{path} b/{path}\n" + "".join(
            unified_diff(old.splitlines(True), new.splitlines(True), a, b))

    snip = {name: (GOLDEN / "snippets" / f"{name}.py").read_text("utf-8") for name in SNIPPETS}
    licence = (GOLDEN / "corpus" / "six-1.16.0" / "LICENSE").read_text("utf-8")
    return ("From: Dev <dev@example.org>\nSubject: [PATCH] tagtool: metaclass helper and vote tally\n\n---\n"
            + diff("tagtool/classes.py", snip["verbatim"], snip["verbatim"] + "\n\n" + snip["renamed"])
            + diff("tagtool/tally.py", "", snip["original"])
            + diff("LICENSES/six.txt", "", licence))


@pytest.fixture(scope="module")
def golden_review(six_index):
    from auditor.review import review_patch

    review = review_patch(_golden_patch(), api.open_index(six_index), project_license="GPL-2.0-or-later")
    for h in review.hunks:
        h.result = _pinned(h.result)
    return review


def test_review_renderers_match_their_golden_files(golden_review):
    from auditor.report.review_report import REVIEW_RENDERERS

    r = golden_review
    assert [h.path for h in r.hunks] == ["tagtool/classes.py", "tagtool/tally.py"]
    assert [bool(h.attention) for h in r.hunks] == [True, False] and r.skipped == ["LICENSES/six.txt: not source code"]
    assert r.hunks[0].result.matches[0].verdict == "near-verbatim" and r.hunks[0].lines[0] > 1
    for fmt, out in ((fmt, render(r)) for fmt, render in REVIEW_RENDERERS.items()):
        _check_golden(f"review.{EXT[fmt]}", out)
        if fmt != "json":
            assert "the snippet" not in out and "snippet's" not in out, fmt
            assert all(wcswidth(line) <= 72 for line in out.splitlines()), fmt


def _golden_tree(root: Path) -> Path:
    """A maintainer's tree, made of the golden files: six.py vendored as released (exact), a
    working copy of it with a function renamed and a local line (near copy), and original code."""
    six = (GOLDEN / "corpus" / "six-1.16.0" / "six.py").read_text("utf-8")
    for rel, text in (("vendor/six.py", six),
                      ("tagtool/compat.py", six.replace("def add_metaclass", "def with_class_meta") + "\n# local\n"),
                      ("tagtool/tally.py", (GOLDEN / "snippets" / "original.py").read_text("utf-8"))):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_membership_renderers_match_their_golden_files(six_index, tmp_path):
    from auditor.report.membership_report import MEMBERSHIP_RENDERERS

    report = api.membership(_golden_tree(tmp_path / "tagtool"), api.open_index(six_index), show_progress=False)
    pinned = replace(report, root="/srv/src/tagtool", index={**report.index, **FIXED_INDEX})
    by_path = {f.path: f for f in pinned.files}
    assert by_path["vendor/six.py"].holders[0].exact and not by_path["tagtool/compat.py"].holders[0].exact
    assert by_path["tagtool/tally.py"].holders == []
    for fmt, render in MEMBERSHIP_RENDERERS.items():
        out = render(pinned)
        _check_golden(f"membership.{EXT[fmt]}", out)
        if fmt == "text":
            assert all(wcswidth(line) <= 72 for line in out.splitlines())


@pytest.mark.parametrize("case", ["confirmed", "tampered"])
def test_verify_json_output_matches_its_golden_file(results, six_index, tmp_path, case):
    """What 'auditor verify --format json' prints, the index's path on this machine pinned."""
    report = json.loads(api.render(results["renamed"], "json"))
    if case == "tampered":
        report["matches"][0]["source"]["license"] = "GPL-3.0-only"
        report["matches"][0]["source_lines"][1] += 3
        report["attribution"]["present_in_snippet"] = True
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report, indent=2))
    r = subprocess.run([str(BIN / "auditor"), "verify", str(path), "--index", str(six_index), "-f", "json"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == (0 if case == "confirmed" else 1), r.stderr
    out = r.stdout.replace(json.dumps(str(six_index.resolve()))[1:-1], FIXED_INDEX["path"])
    assert json.loads(out)["index_path"] == FIXED_INDEX["path"]
    _check_golden(f"verify-{case}.json", out)


def test_a_long_quoted_path_still_pastes_as_one_argument(tmp_path):
    from auditor.report.columns import command_rows

    path = "/srv/data/My Indexes/" + "the-stack-v2-dedup-python-" * 3 + "/idx"
    rows = command_rows(["printf", "%s|", "--index", path, "SNIPPET"])
    assert all(len(r) <= 72 for r in rows)
    out = subprocess.run(["bash", "-c", "\n".join(rows)[2:]], capture_output=True, text=True).stdout
    assert out == f"--index|{path}|SNIPPET|"


def test_form_feed_lines_do_not_shift_the_shown_lines(tmp_path):
    """Line numbers count newlines; the lines shown must too (str.splitlines breaks at \\f)."""
    src = (GOLDEN / "corpus" / "six-1.16.0" / "six.py").read_text().split("\n")
    corpus = tmp_path / "ff"
    corpus.mkdir()
    (corpus / "six.py").write_text("\n".join(src[:40] + ["\f"] + src[40:]))
    api.build_index([str(corpus)], tmp_path / "idx", workers=1, show_progress=False, scan_headers=False)
    r = api.trace_snippet((GOLDEN / "snippets" / "verbatim.py").read_text(), tmp_path / "idx")
    m = r.matches[0]
    shown = api.render(r, "text")
    first = m.source_lines[0]
    assert f" {first} = |" in shown and src[first - 2].strip() in shown.split(f" {first} = |")[1].split("\n")[0]


def test_reports_written_with_output_get_the_usual_permissions(tmp_path):
    out = tmp_path / "report.txt"
    r = subprocess.run([str(BIN / "trace-snippet"), "-q", "--index", str(tmp_path / "none"), "-o", str(out),
                        str(GOLDEN / "snippets" / "original.py")], capture_output=True, text=True)
    assert r.returncode == 2  # no index: nothing written
    assert not out.exists()
    from auditor.atomic import atomic_file

    with atomic_file(out, "w") as fh:
        fh.write("x")
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.timeout(30)
def test_wrapping_ends_and_fits_whatever_the_indent():
    """A notice holds a source's licence text as written: a line indented almost across the
    row, a token wider than any row, or a prefix wider than the row must still end, and fit
    72 columns wherever the prefix leaves room."""
    from auditor.report.columns import block, prose

    six = (Path(__file__).parent / "data" / "golden" / "corpus" / "six-1.16.0" / "LICENSE").read_text("utf-8")
    for n in (0, 40, 66, 70, 71, 90, 300):
        text = "\n".join(" " * n + line for line in six.splitlines()) + "\n" + " " * n + "x" * 200
        rows = block(text, "  ")
        assert all(wcswidth(r) <= 72 for r in rows), n
        assert "".join("".join(rows).split()).replace("\\", "") == "".join(text.split())
    rows = prose("a /very/long/path/" + "x" * 150 + " end", first="y" * 80)
    assert rows[-1].endswith("end") and all(wcswidth(r) <= 72 for r in rows[1:])
    assert prose("a b c", first="z" * 10, rest=" " * 90) == ["zzzzzzzzzza b c"]
