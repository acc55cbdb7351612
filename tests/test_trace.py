"""Tracing real code in six languages: verbatim, renamed, reformatted and edited copies are
found; code that is not in the index is not attributed."""
from __future__ import annotations

import re

import pytest

from auditor import api
from auditor.errors import AuditorError
from auditor.fingerprint.tokens import KEYWORDS_BY_FAMILY, family_of
from auditor.index.reader import Index

# (language, path suffix of a real file in the polyglot corpus)
FILES = [
    ("JavaScript", "_baseClone.js"),
    ("TypeScript", "src/internal/operators/mergeInternals.ts"),
    ("Java", "org/apache/cordova/CordovaWebViewImpl.java"),
    ("Go", "github.com/pkg/errors/stack.go"),
    ("Python", "six.py"),
    ("C", "markupsafe/_speedups.c"),
]
_COMMENT = re.compile(r"^\s*(//|/\*|\*|#|\"\"\"|''')")


@pytest.fixture(scope="module")
def polyglot(polyglot_index):
    return Index(polyglot_index)


def names(m) -> set[tuple[str, str]]:
    """The origin of a match and its identical copies, as (repo, path)."""
    return {(m.source.repo_name, m.source.path)} | {(c["repo_name"], c["path"]) for c in m.also_in}


def source_of(index: Index, suffix: str) -> tuple[dict, str]:
    for blob in range(len(index.blob_ids)):
        for row in index.files_of(blob):
            if row["path"].endswith(suffix):
                return row, index.blob_text(blob)
    raise AssertionError(f"{suffix} is not in the index")


def code_chunk(text: str, lines: int = 22, language: str | None = None) -> str:
    """The run of ``lines`` lines of a real file with the most code tokens in it.

    Lines inside a multi-line string or comment (docstrings, block comments, template
    strings) are avoided: editing them would change what is comment and what is code.
    """
    import numpy as np

    from auditor.fingerprint.tokens import tokenize

    src = text.splitlines()
    toks = tokenize(text, language)
    first = toks.lines(text)
    last = first + np.array([text.count("\n", a, b) for a, b in zip(toks.starts.tolist(), toks.ends.tolist())])
    count = np.zeros(len(src) + 2, dtype=np.int64)
    bad = np.zeros(len(src) + 2, dtype=bool)
    np.add.at(count, first, 1)
    for a, b in zip(first.tolist(), last.tolist()):
        if b > a:
            bad[a: b + 1] = True
    covered = np.zeros(len(src) + 2, dtype=bool)
    covered[first] = True
    for i, line in enumerate(src, 1):  # a non-blank line without tokens is a comment line
        if line.strip() and not covered[i]:
            bad[i] = True
    best, best_score = None, -1
    for i in range(1, max(2, len(src) - lines + 2)):
        if bad[i: i + lines].any():
            continue
        score = int(count[i: i + lines].sum())
        if score > best_score:
            best, best_score = i, score
    if best is None:
        assert lines > 6, "no stretch of plain code in the file"
        return code_chunk(text, lines - 4, language)
    return "\n".join(src[best - 1: best - 1 + lines])


def rename_identifiers(code: str, language: str, count: int = 6) -> str:
    """Consistently rename the ``count`` most frequent non-keyword identifiers."""
    kw = KEYWORDS_BY_FAMILY[family_of(language)]
    words = re.findall(r"\b[A-Za-z_]\w{2,}\b", code)
    freq: dict[str, int] = {}
    for w in words:
        if w not in kw:
            freq[w] = freq.get(w, 0) + 1
    for i, name in enumerate(sorted(freq, key=lambda w: (-freq[w], w))[:count]):
        code = re.sub(rf"\b{re.escape(name)}\b", f"renamed{i}Var", code)
    return code


def reformat(code: str, language: str) -> str:
    """Different indentation, no blank lines, trailing comments added then the layout squeezed."""
    out = []
    for line in code.splitlines():
        s = line.strip()
        if not s:
            continue
        depth = (len(line) - len(line.lstrip())) // 2
        out.append("\t" * depth + re.sub(r"[ ]{2,}", " ", s))
    return "\n".join(out)


def edit_lines(code: str, language: str) -> str:
    """About 20% of lines changed: every 5th line deleted, a new line inserted after every 7th."""
    marker = "# audit" if language == "Python" else "// audit"
    out = []
    for i, line in enumerate(code.splitlines()):
        if i % 5 == 2:
            continue
        out.append(line)
        if i % 7 == 3:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}counterValue = counterValue + 1 {marker}" if language == "Python"
                       else f"{indent}counterValue = counterValue + 1;")
    return "\n".join(out)


TRANSFORMS = {
    "verbatim": (lambda c, lang: c, {"verbatim"}),
    "renamed": (rename_identifiers, {"verbatim", "near-verbatim"}),
    "reformatted": (reformat, {"verbatim", "near-verbatim"}),
    "edited": (edit_lines, {"verbatim", "near-verbatim", "similar"}),
}


@pytest.mark.parametrize("transform", list(TRANSFORMS))
@pytest.mark.parametrize("language,suffix", FILES, ids=[f[0] for f in FILES])
def test_finds_copies(polyglot, language, suffix, transform):
    row, text = source_of(polyglot, suffix)
    chunk = code_chunk(text, language=language)
    fn, verdicts = TRANSFORMS[transform]
    snippet = fn(chunk, language)
    result = api.trace_snippet(snippet, polyglot, top_k=3)
    assert result.matches, f"{transform} {language} copy not found"
    top = result.matches[0]
    # lodash.js, the monolithic build, holds _baseClone.js word for word: either may be the
    # origin shown, and the other is then listed as an identical copy.
    assert names(top) & {(row["repo_name"], row["path"])}, (names(top), row["path"])
    assert top.verdict in verdicts, (transform, top.verdict, top.coverage, top.identity)
    if top.source.path == row["path"]:  # the reported source lines hold the copied chunk
        start = text.splitlines().index(chunk.splitlines()[0]) + 1
        assert abs(top.source_lines[0] - start) <= 3


@pytest.mark.parametrize("language,suffix", FILES, ids=[f[0] for f in FILES])
def test_short_completion_of_150_chars_is_found(polyglot, language, suffix):
    row, text = source_of(polyglot, suffix)
    chunk = code_chunk(text, lines=22, language=language)
    lines = chunk.splitlines()
    short = ""
    for line in lines[5:]:  # a completion from mid-function, as a model would emit it
        short += line + "\n"
        if len(short) >= 150:
            break
    result = api.trace_snippet(short, polyglot)
    assert result.matches and (row["repo_name"], row["path"]) in names(result.matches[0]), short


def test_whole_file_is_found(polyglot):
    row, text = source_of(polyglot, "github.com/pkg/errors/stack.go")
    result = api.trace_snippet(text, polyglot)
    top = result.matches[0]
    assert top.verdict == "verbatim" and top.source.path == row["path"] and top.coverage > 0.95


@pytest.mark.parametrize("language,suffix", FILES, ids=[f[0] for f in FILES])
def test_code_not_in_index_is_not_attributed(stdlib_index, polyglot, language, suffix):
    """Real code from one corpus traced against another that does not hold it."""
    _, text = source_of(polyglot, suffix)
    for lines in (8, 22):
        result = api.trace_snippet(code_chunk(text, lines=lines, language=language), stdlib_index)
        assert result.verdict == "none", [(m.source.path, m.verdict, m.score) for m in result.matches]


def test_python_not_in_index_is_not_attributed(polyglot):
    """Real stdlib code, including code with the same purpose as six's helpers, against the polyglot corpus."""
    import inspect
    import textwrap
    import types

    for obj in (textwrap.TextWrapper._wrap_chunks, types.new_class, inspect.getmro, inspect.getattr_static):
        result = api.trace_snippet(inspect.getsource(obj), polyglot)
        assert result.verdict == "none", (obj, [(m.source.path, m.verdict, m.score) for m in result.matches])


def test_identical_copies_are_listed_in_also_in(stdlib_dir, tmp_path):
    import shutil

    for name in ("upstream", "fork-one", "fork-two"):
        shutil.copytree(stdlib_dir / "json", tmp_path / name)
    api.build_index([str(tmp_path / n) for n in ("upstream", "fork-one", "fork-two")], tmp_path / "idx",
                    workers=1, show_progress=False)
    text = (stdlib_dir / "json" / "decoder.py").read_text()
    result = api.trace_snippet(code_chunk(text, language="Python"), tmp_path / "idx")
    assert len([m for m in result.matches if m.source.path == "decoder.py"]) == 1
    top = result.matches[0]
    repos = {top.source.repo_name} | {c["repo_name"] for c in top.also_in}
    assert repos == {"upstream", "fork-one", "fork-two"}


@pytest.mark.parametrize("text,message", [
    ("", "empty"), ("   \n\t\n", "empty"), ("int x;\x00\x01", "binary"),
])
def test_bad_snippets_raise_one_line_errors(stdlib_index, text, message):
    with pytest.raises(AuditorError, match=message) as e:
        api.trace_snippet(text, stdlib_index)
    assert "\n" not in str(e.value)


def test_comment_only_snippet_is_not_attributed(stdlib_index, stdlib_dir):
    header = "# Copyright (C) 2001-2024 Python Software Foundation\n# Licensed under the PSF License\n" * 5
    result = api.trace_snippet(header, stdlib_index)
    assert result.verdict == "none" and "no code tokens" in result.note


def test_snippet_stitched_from_two_files_names_both(stdlib_index, stdlib_dir):
    a = code_chunk((stdlib_dir / "json" / "decoder.py").read_text(), lines=16, language="Python")
    b = code_chunk((stdlib_dir / "textwrap.py").read_text(), lines=16, language="Python")
    result = api.trace_snippet(a + "\n\n" + b, stdlib_index)
    found = {m.source.path: m for m in result.matches}
    assert {"json/decoder.py", "textwrap.py"} <= set(found), [(m.source.path, m.verdict) for m in result.matches]
    assert found["json/decoder.py"].verdict == found["textwrap.py"].verdict == "verbatim"
    assert found["json/decoder.py"].snippet_lines[1] <= 17 and found["textwrap.py"].snippet_lines[0] >= 18
    assert result.attribution.required and "textwrap.py" in result.attribution.notice \
        and "json/decoder.py" in result.attribution.notice


def test_copied_function_inside_a_longer_generated_file(stdlib_index, stdlib_dir):
    """The copy is a fifth of the snippet: the rest is code of the same kind that is not in the index."""
    import inspect
    import types

    copied = code_chunk((stdlib_dir / "shlex.py").read_text(), lines=20, language="Python")
    padding = "\n\n".join(inspect.getsource(f) for f in (types.new_class, types.prepare_class, types.resolve_bases))
    result = api.trace_snippet(padding + "\n\n" + copied + "\n", stdlib_index)
    top = result.matches[0]
    assert top.source.path == "shlex.py" and top.verdict == "verbatim" and top.coverage < 0.5
