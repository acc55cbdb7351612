"""Boilerplate cut from corpus files for the accuracy benchmark's negatives: import, include
and require blocks, licence headers, main guards, accessors and module prologues."""
from __future__ import annotations

import re

_PY_IMPORT = re.compile(r"^(import\s+[\w.]|from\s+[\w.]+\s+import\s)")
_C_INCLUDE = re.compile(r"^\s*#\s*include\s*[<\"]")
_JAVA_IMPORT = re.compile(r"^import\s+(static\s+)?[\w.]+(\.\*)?\s*;")
_JS_REQUIRE = re.compile(r"require\(['\"][^'\"]+['\"]\)[\w.]*\s*[,;]?\s*$|^import\s.*\sfrom\s+['\"][^'\"]+['\"];?\s*$"
                         r"|^import\s+['\"][^'\"]+['\"];?\s*$")
_JS_PROLOGUE = re.compile(r"^\s*(['\"]use strict['\"];?|Object\.defineProperty\(exports, ['\"]__esModule['\"].*|"
                          r"exports(\.\w+ = )+void 0;)\s*$")
_LICENCE = re.compile(r"licen[cs]e|copyright|\(c\)|redistribut|warrant", re.IGNORECASE)
_GETTER = re.compile(r"^[ \t]*public\s+(?:final\s+)?[\w<>\[\], ?]+\s+(?:get|is)(\w+)\(\)\s*\{\s*\n"
                     r"\s*return\s+(?:this\.)?\w+;\s*\n\s*\}[ \t]*$", re.MULTILINE)
_SETTER = re.compile(r"^[ \t]*public\s+(?:final\s+)?(?:void|[\w<>]+)\s+set(\w+)\([^()]*\)\s*\{\s*\n"
                     r"\s*(?:this\.)?\w+\s*=\s*\w+;\s*\n(?:\s*return\s+this;\s*\n)?\s*\}[ \t]*$", re.MULTILINE)


def _runs(lines: list[str], pred, min_len: int = 3, cont=None):
    i = 0
    while i < len(lines):
        if pred(lines[i]):
            j = i
            while j + 1 < len(lines) and (pred(lines[j + 1]) or (cont and cont(lines, j + 1))):
                j += 1
            if j - i + 1 >= min_len:
                yield i, j
            i = j + 1
        else:
            i += 1


def boilerplate(text: str, language: str) -> list[tuple[str, int, int]]:
    """(category, first line, last line) of boilerplate blocks in one file, 0-based inclusive."""
    lines = text.splitlines()
    out: list[tuple[str, int, int]] = []
    top = next((i for i, x in enumerate(lines) if x.strip() and not x.startswith("#!")), None)
    if top is not None:  # a licence header comment at the top of the file
        j = None
        s = lines[top].strip()
        if language == "python" and s.startswith("#"):
            j = top
            while j + 1 < len(lines) and lines[j + 1].strip().startswith("#"):
                j += 1
        elif s.startswith(("/*", "//")):
            if s.startswith("/*"):
                j = next((k for k in range(top, min(len(lines), top + 80)) if "*/" in lines[k]), None)
            else:
                j = top
                while j + 1 < len(lines) and lines[j + 1].strip().startswith("//"):
                    j += 1
        if j is not None and 2 <= j - top <= 60 and _LICENCE.search("\n".join(lines[top:j + 1])):
            out.append(("licence-header", top, j))
    if language == "python":
        def cont(ls, k):
            return ls[k - 1].rstrip().endswith(("(", ",")) and ls[k].startswith((" ", "\t", ")"))
        out += [("imports", i, j) for i, j in _runs(lines, lambda x: bool(_PY_IMPORT.match(x)), cont=cont)]
        for i, x in enumerate(lines):
            if re.match(r"^if\s+__name__\s*==\s*['\"]__main__['\"]\s*:", x):
                j = i
                while j + 1 < len(lines) and (lines[j + 1].startswith((" ", "\t")) or not lines[j + 1].strip()):
                    j += 1
                while j > i and not lines[j].strip():
                    j -= 1
                if 1 <= j - i <= 6:
                    out.append(("main-guard", i, j))
    elif language == "c":
        out += [("includes", i, j) for i, j in _runs(lines, lambda x: bool(_C_INCLUDE.match(x)))]
    elif language == "java":
        out += [("imports", i, j) for i, j in _runs(lines, lambda x: bool(_JAVA_IMPORT.match(x)))]
        getters = {m.group(1): m for m in _GETTER.finditer(text)}
        for m in _SETTER.finditer(text):
            g = getters.get(m.group(1))
            if g is None:
                continue
            a, b = sorted((g, m), key=lambda x: x.start())
            if re.sub(r"/\*.*?\*/|//[^\n]*", "", text[a.end():b.start()], flags=re.DOTALL).strip():
                continue
            first, last = text.count("\n", 0, a.start()), text.count("\n", 0, b.end())
            if last - first <= 25:
                out.append(("accessors", first, last))
    else:
        for i, j in _runs(lines, lambda x: bool(_JS_PROLOGUE.match(x)), min_len=1):
            k = j
            while k + 1 < len(lines) and (_JS_REQUIRE.search(lines[k + 1]) or not lines[k + 1].strip()):
                k += 1
            while k > j and not lines[k].strip():
                k -= 1
            if k - i >= 2 and any(_JS_REQUIRE.search(x) for x in lines[j + 1:k + 1]):
                out.append(("use-strict-require", i, k))
        out += [("imports", i, j) for i, j in _runs(lines, lambda x: bool(_JS_REQUIRE.search(x)))
                if not any(c == "use-strict-require" and a <= i <= b for c, a, b in out)]
    return out
