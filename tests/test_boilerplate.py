"""Boilerplate in the index is not evidence of copying; short renamed copies still are.

All snippets are cut from real files of the polyglot index (lodash, rxjs, cordova-android,
six): an exact copy of an import block or a compiled module prologue must not be attributed,
while code of the same size from the same files must be.
"""
from __future__ import annotations

import re

import pytest

from auditor.index.reader import Index
from auditor.matching.boilerplate import boilerplate_lines
from auditor.matching.trace import trace


@pytest.fixture(scope="module")
def polyglot(polyglot_index):
    return Index(polyglot_index)


def files_matching(index: Index, path_pattern: str, limit: int = 50):
    rx = re.compile(path_pattern)
    out = []
    for blob in range(len(index.blob_ids)):
        rows = index.files_of(blob)
        if rows and rx.search(rows[0]["path"]):
            out.append((rows[0], index.blob_text(blob)))
            if len(out) >= limit:
                break
    assert out, f"no file matching {path_pattern} in the index"
    return out


def test_compiled_module_prologue_is_not_attributed(polyglot):
    """rxjs's CommonJS build starts every module with the same generated lines."""
    def prologue_of(text: str) -> str:
        lines = text.splitlines()
        return "\n".join(lines[:next((i for i, line in enumerate(lines) if "function" in line), 0)])

    prologues = [prologue_of(text) for _, text in files_matching(polyglot, r"dist/cjs/internal/operators/\w+\.js$")]
    prologue = next(p for p in prologues if p.count("require(") >= 2)
    assert boilerplate_lines(prologue, "JavaScript") == {i + 1 for i, line in enumerate(prologue.splitlines())
                                                         if line.strip()}
    result = trace(polyglot, prologue)
    assert result.verdict == "none", [(m.verdict, m.source.path) for m in result.matches]


def test_python_import_block_is_not_attributed(polyglot):
    row, text = files_matching(polyglot, r"(^|/)six\.py$")[0]
    imports = [line for line in text.splitlines() if re.match(r"(import|from) \w", line)]
    assert len(imports) >= 5
    block = "\n".join(imports)
    assert len(boilerplate_lines(block, "Python")) == len(imports)
    result = trace(polyglot, block)
    assert result.verdict == "none" and "boilerplate" in result.note


def test_java_getters_are_not_attributed(polyglot):
    """One-line getters copied verbatim say nothing about origin."""
    getter = re.compile(r"(?m)^ *public [\w<>\[\]]+ (?:get|is)\w+\(\) \{\s*\n\s*return [\w.]+;\s*\n\s*\}")
    getters = []
    for row, text in files_matching(polyglot, r"\.java$", limit=400):
        getters = [m.group(0) for m in getter.finditer(text)][:3]
        if len(getters) >= 2:
            break
    assert len(getters) >= 2, "cordova-android has one-line getters"
    assert trace(polyglot, "\n\n".join(getters)).verdict == "none"


def test_short_renamed_copy_is_found(polyglot):
    """About 150 characters of lodash with three names changed: one unbroken aligned run."""
    row, text = files_matching(polyglot, r"(^|/)_baseClone\.js$")[0]
    start = text.index("function baseClone(")
    body = text[start:]
    lines, chunk = body.splitlines()[1:], []
    while sum(len(line.strip()) for line in chunk) < 150:
        chunk.append(lines[len(chunk)])
    snippet = "\n".join(chunk)
    names = [n for n in dict.fromkeys(re.findall(r"\b(?:result|isDeep|isFlat|isFull|bitmask|value)\b", snippet))][:3]
    assert len(names) == 3, snippet
    renamed = snippet
    for i, name in enumerate(names):
        renamed = re.sub(rf"\b{name}\b", f"renamedName{i}", renamed)
    result = trace(polyglot, renamed)
    assert result.verdict in ("verbatim", "near-verbatim"), result.note
    top = result.matches[0]
    assert any(p.endswith(("_baseClone.js", "lodash.js"))  # the module, or the bundle that holds it
               for p in [top.source.path] + [c["path"] for c in top.also_in])


def test_a_main_guard_block_is_boilerplate_and_the_code_after_it_is_not():
    """Real ``__main__`` guards of the running standard library: the guard and its block are
    the script's entry point, which every script has; a line back at the guard's indent ends it."""
    import sysconfig
    from pathlib import Path

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    checked = 0
    for path in sorted(stdlib.glob("*.py")):
        lines = path.read_text(errors="replace").splitlines()
        starts = [i for i, line in enumerate(lines) if re.fullmatch(r"if __name__ == ['\"]__main__['\"]:\s*", line)]
        if not starts:
            continue
        i = starts[0]
        block = [i]
        for j in range(i + 1, len(lines)):
            if lines[j].strip() and not lines[j].startswith((" ", "\t")):
                break
            block.append(j)
        text = "\n".join(lines[i: block[-1] + 1]) + "\nresult = compute(1, 2)\n"
        marked = boilerplate_lines(text, "Python")
        want = {k - i + 1 for k in block if lines[k].strip()}
        assert marked == want, path.name
        checked += 1
    assert checked >= 10


def test_boilerplate_reports_its_commonness_and_code_reports_its_look_alikes(polyglot):
    """Instead of an attribution, a boilerplate snippet says how many indexed files hold
    code like it; a traced snippet says how many files look like it."""
    def prologue_of(text: str) -> str:
        lines = text.splitlines()
        return "\n".join(lines[:next((i for i, line in enumerate(lines) if "function" in line), 0)])

    prologues = [prologue_of(text) for _, text in files_matching(polyglot, r"dist/cjs/internal/operators/\w+\.js$")]
    prologue = next(p for p in prologues if p.count("require(") >= 2)
    result = trace(polyglot, prologue)
    assert result.verdict == "none" and "boilerplate" in result.note
    assert result.look_alikes is not None and result.look_alikes >= 5, result.look_alikes
    assert f"{result.look_alikes} indexed files hold code like it" in result.note

    row, text = files_matching(polyglot, r"(^|/)_baseClone\.js$")[0]
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "function baseClone(" in line)
    code = "\n".join(lines[start: start + 25])
    result = trace(polyglot, code)
    assert result.matches and result.look_alikes is not None and result.look_alikes >= 1


def test_go_package_and_import_block_are_not_attributed(polyglot):
    """pkg/errors' own ``package`` line and its longest ``import ( ... )`` block, exactly as in
    the index."""
    blocks = []
    for row, text in files_matching(polyglot, r"pkg/errors/\w+\.go$", limit=20):
        lines = text.splitlines()
        start = next((i for i, line in enumerate(lines) if line.startswith("import (")), None)
        if start is not None:
            end = next(i for i in range(start, len(lines)) if lines[i].strip() == ")")
            blocks.append("\n".join(["package errors", ""] + lines[start: end + 1]))
    header = max(blocks, key=len)
    assert header.count('"') >= 8
    want = {n for n, line in enumerate(header.splitlines(), 1) if line.strip()}
    assert boilerplate_lines(header, "Go") == want
    result = trace(polyglot, header, language="Go")
    assert result.verdict == "none" and "boilerplate" in result.note, result.note
    assert trace(polyglot, header).verdict == "none"
