"""Programming language of a file, from its extension, in The Stack's (GitHub linguist's) names.

The keys of :data:`EXTENSIONS` are also what decides which files of a directory,
an archive or an installed distribution are read as source: a file whose
extension is not here is never indexed. Markup and data formats (Markdown, JSON,
YAML, HTML, CSS) are deliberately absent: generated code is traced against code.
"""
from __future__ import annotations

import os

_LANGUAGES: dict[str, tuple[str, ...]] = {
    "Python": (".py", ".pyi", ".pyw"),
    "Cython": (".pyx", ".pxd", ".pxi"),
    "JavaScript": (".js", ".mjs", ".cjs", ".jsx"),
    "TypeScript": (".ts", ".mts", ".cts"),
    "TSX": (".tsx",),
    "C": (".c", ".h"),
    "C++": (".cc", ".cpp", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".h++", ".ipp", ".tcc", ".inl"),
    "CUDA": (".cu", ".cuh"),
    "Objective-C": (".m",),
    "Objective-C++": (".mm",),
    "C#": (".cs",),
    "Java": (".java",),
    "Kotlin": (".kt", ".kts"),
    "Scala": (".scala", ".sc"),
    "Groovy": (".groovy", ".gradle"),
    "Clojure": (".clj", ".cljs", ".cljc", ".edn"),
    "Go": (".go",),
    "Rust": (".rs",),
    "Swift": (".swift",),
    "Dart": (".dart",),
    "Ruby": (".rb", ".rake", ".gemspec"),
    "PHP": (".php",),
    "Perl": (".pl", ".pm", ".t"),
    "Lua": (".lua",),
    "R": (".r", ".R"),
    "Julia": (".jl",),
    "Haskell": (".hs", ".lhs"),
    "OCaml": (".ml", ".mli"),
    "F#": (".fs", ".fsi", ".fsx"),
    "Elixir": (".ex", ".exs"),
    "Erlang": (".erl", ".hrl"),
    "Zig": (".zig",),
    "Nim": (".nim",),
    "Fortran": (".f", ".f90", ".f95", ".f03", ".f08", ".for"),
    "Visual Basic .NET": (".vb",),
    "Shell": (".sh", ".bash", ".zsh", ".ksh"),
    "PowerShell": (".ps1", ".psm1"),
    "Batchfile": (".bat", ".cmd"),
    "Assembly": (".asm", ".s", ".S"),
    "SQL": (".sql",),
    "Vue": (".vue",),
    "Svelte": (".svelte",),
    "Solidity": (".sol",),
    "CMake": (".cmake",),
    "Makefile": (".mk", ".mak"),
    "Dockerfile": (".dockerfile",),
}

# Case matters only where linguist says so (.R/.r are both R; .S is assembly with the C preprocessor).
EXTENSIONS: dict[str, str] = {ext: lang for lang, exts in _LANGUAGES.items() for ext in exts}
_LOWER: dict[str, str] = {ext.lower(): lang for ext, lang in EXTENSIONS.items()}

# Files known by their whole name rather than an extension.
FILENAMES: dict[str, str] = {
    "Makefile": "Makefile",
    "GNUmakefile": "Makefile",
    "Dockerfile": "Dockerfile",
    "CMakeLists.txt": "CMake",
    "Rakefile": "Ruby",
    "Gemfile": "Ruby",
    "SConstruct": "Python",
    "SConscript": "Python",
}

LANGUAGES: frozenset[str] = frozenset(_LANGUAGES) | frozenset(FILENAMES.values())


def language_of(path: str) -> str | None:
    """The Stack's language name for ``path`` ("Python", "C++", ...), or None if it is not source code."""
    name = os.path.basename(path)
    if name in FILENAMES:
        return FILENAMES[name]
    ext = os.path.splitext(name)[1]
    if not ext:
        return None
    return EXTENSIONS.get(ext) or _LOWER.get(ext.lower())


def is_source_path(path: str) -> bool:
    return language_of(path) is not None
