"""Lines that say nothing about where code came from: declarations every file has.

An import block (Java, Kotlin, Go, Rust ``use``, PHP ``use``/``require``), an ``#include``
list, a ``package`` line, a ``"use strict"`` prologue, a ``__main__`` guard and its block,
or a run of getters and setters is written the same way by everyone, so a match made only
of such lines is not evidence of copying, however exact.
Their tokens still align (a real copy keeps its imports), but they do not count towards
a verdict: see :func:`informative_mask` and ``VerifyConfig.min_tokens``.

The patterns are per lexical family and deliberately narrow: a line is boilerplate only
when all of it is one of these declarations.
"""
from __future__ import annotations

import re

import numpy as np

from ..fingerprint.tokens import Tokens, family_of

_C_LIKE = [
    r"#\s*(?:include|import)\b.*",                              # C/C++/ObjC includes
    r"#\s*(?:ifndef|define|endif|pragma\s+once)\b\s*\w*\s*(?://.*|/\*.*)?",  # include guards
    r"(?:package|import)\s+(?:static\s+)?[\w.]+(?:\.\*)?\s*;?",  # Java; Kotlin, Scala, Go, Swift without ';'
    r"import\s+(?:[\w.]+\s+)?\"[^\"]+\"\s*;?",                # Go: import "fmt", import f "fmt"
    r"import\s*\(",                                            # Go: an import block's opening
    r"(?:pub\s+)?(?:use\s+[\w:{}*, ]+|mod\s+\w+|extern\s+crate\s+\w+(?:\s+as\s+\w+)?)\s*;",  # Rust
    r"(?:use|namespace)\s+\\?[\w\\]+(?:\s+as\s+\w+)?\s*;",     # PHP
    r"(?:require|include)(?:_once)?\s*\(?\s*['\"][^'\"]+['\"]\s*\)?\s*;",  # PHP
    r"<\?php|@import\s+[\w.]+\s*;",
    r"using\s+(?:static\s+)?[\w.]+\s*;",                        # C# usings
    r"import\s+.*\s+from\s+['\"][^'\"]+['\"]\s*;?",             # ES modules
    r"import\s+['\"][^'\"]+['\"]\s*;?",
    r"export\s+\*\s+from\s+['\"][^'\"]+['\"]\s*;?",
    r"export\s*\{[^}]*\}\s*from\s+['\"][^'\"]+['\"]\s*;?",
    r"(?:(?:const|let|var)\s+)?[\w${}\s,:]+=\s*require\(\s*['\"][^'\"]+['\"]\s*\)(?:\.\w+)*\s*[,;]?",
    r"['\"]use strict['\"]\s*;?",
    r"Object\.defineProperty\(\s*exports\s*,\s*['\"]__esModule['\"].*",
    r"exports\.[\w$]+\s*=\s*(?:void 0|exports\.[\w$]+\s*=\s*void 0)\s*;?",
    r"module\.exports\s*=\s*[\w$.]+\s*;?",
    r"extern\s+\"C\"\s*\{|\}",
    # one-line accessors and their signatures
    r"(?:@Override\s*)?(?:(?:public|protected|private|static|final|synchronized)\s+)*[\w<>\[\],.? ]+\s+"
    r"(?:get|set|is|has)[A-Z_]\w*\s*\((?:[^()]*\)\s*(?:throws\s+[\w., ]+)?\s*\{?)?",
    r"return\s+(?:this\.)?[\w$]+\s*;",  # a getter's body
    r"this\.([\w$]+)\s*=\s*\1\s*;",  # a setter's body: this.name = name;
    r"@Override",
    r"[{}();]+",
]
_PY_MAIN_GUARD_PATTERN = r"if\s+__name__\s*==\s*['\"]__main__['\"]\s*:"
# A bare name line ("    name as alias,"): boilerplate only inside a parenthesised import.
_PY_IMPORTED_NAME = r"\w+(?:\s+as\s+\w+)?\s*,?\s*\)?"
_PYTHON = [
    r"import\s+[\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*",
    r"from\s+[\w.]+\s+import\s+(?:\(|[\w*]+(?:\s+as\s+\w+)?(?:\s*,\s*\w+(?:\s+as\s+\w+)?)*\s*,?\s*\(?)",
    _PY_IMPORTED_NAME,
    _PY_MAIN_GUARD_PATTERN,
    r"(?:sys\.exit\()?\w+\(\)\)?",  # main() / sys.exit(main()) under the guard
    r"from\s+__future__\s+import\s+.*",
    r"__all__\s*=\s*[\[(].*",
]
_GO_IMPORT_OPEN = re.compile(r"import\s*\(")
_GO_IMPORTED = re.compile(r"(?:[\w.]+\s+)?\"[^\"]+\"\s*(?://.*)?")  # "fmt", errs "errors"
_PY_MAIN_GUARD = re.compile(_PY_MAIN_GUARD_PATTERN)
_PATTERNS = {
    "c": re.compile(r"\s*(?:" + "|".join(_C_LIKE) + r")\s*(?://.*)?"),
    "python": re.compile(r"\s*(?:" + "|".join(_PYTHON) + r")\s*(?:#.*)?"),
}


def boilerplate_lines(text: str, language: str | None) -> set[int]:
    """1-based numbers of the lines of ``text`` that are declarations only."""
    family = family_of(language)
    rx = _PATTERNS.get(family)
    if rx is None:
        return set()
    out = set()
    in_python_import = False
    guard_indent = None  # inside a ``__main__`` guard's block: its indent
    in_go_import = False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped:
            continue
        indent = len(line) - len(line.lstrip())
        if guard_indent is not None:
            if indent > guard_indent:
                out.add(number)  # the script's entry point: every project has one
                continue
            guard_indent = None
        if family == "python" and _PY_MAIN_GUARD.fullmatch(stripped):
            guard_indent = indent
        if family == "c":
            if in_go_import:
                if stripped == ")":
                    in_go_import = False
                if stripped == ")" or _GO_IMPORTED.fullmatch(stripped):
                    out.add(number)
                    continue
            elif _GO_IMPORT_OPEN.fullmatch(stripped):
                in_go_import = True
        if family == "python":
            if not in_python_import and re.fullmatch(_PY_IMPORTED_NAME, stripped):
                continue
            if stripped.startswith("from ") and stripped.endswith("("):
                in_python_import = True
            elif in_python_import and stripped.endswith(")"):
                out.add(number)
                in_python_import = False
                continue
        if rx.fullmatch(line):
            out.add(number)
    return out


def informative_mask(tokens: Tokens, text: str, language: str | None) -> np.ndarray:
    """True for each token that is not on a boilerplate line."""
    lines = boilerplate_lines(text, language)
    if not lines or len(tokens) == 0:
        return np.ones(len(tokens), dtype=bool)
    numbers = tokens.lines(text)
    return ~np.isin(numbers, np.fromiter(lines, dtype=np.int64))
