"""A directory on disk read as one repository: its source files, with the package's licence evidence."""
from __future__ import annotations

from collections.abc import Iterator
import os
from pathlib import Path
import re

from auditor.corpus.evidence import Evidence, evidence_fields, tree_evidence
from auditor.corpus.files import MAX_FILE_BYTES, ReadStats, read_source_file, relpath_posix, utf8_path
from auditor.corpus.languages import language_of
from auditor.models import SourceFile

# Never descended into: version-control metadata, bytecode and tool caches.
SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
)

_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def walk_source_paths(
    root: Path, stats: ReadStats | None = None, *, skip_dirs: frozenset[str] = SKIP_DIRS
) -> Iterator[Path]:
    """Source files under ``root`` (by extension), in a stable order; symlinks are never followed."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in skip_dirs and not os.path.islink(os.path.join(dirpath, d)))
        for name in sorted(filenames):
            if language_of(name) is None:
                continue
            path = Path(dirpath, name)
            if path.is_symlink():
                if stats is not None:
                    stats.skip("symlink")
                continue
            yield path


def iter_tree(
    root: Path,
    repo_name: str,
    *,
    revision: str | None = None,
    stats: ReadStats,
    max_file_bytes: int = MAX_FILE_BYTES,
    evidence: Evidence | None = None,
) -> Iterator[SourceFile]:
    """Every readable source file under ``root``, with ``path`` relative to it (posix separators)."""
    if evidence is None:
        evidence = tree_evidence(root, repo_name)
    for path in walk_source_paths(root, stats):
        read = read_source_file(path, stats=stats, max_file_bytes=max_file_bytes)
        if read is None:
            continue
        content, blob_id = read
        rel = utf8_path(relpath_posix(path, root))
        yield SourceFile(
            blob_id=blob_id,
            repo_name=repo_name,
            path=rel,
            content=content,
            language=language_of(rel),
            revision=revision,
            **evidence_fields(evidence, rel),
        )


def git_head(root: Path) -> str | None:
    """The commit checked out in ``root`` when it is a git work tree, read from ``.git`` without running git."""
    git = root / ".git"
    try:
        if git.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = git.read_text().strip()
            if not text.startswith("gitdir:"):
                return None
            git = (root / text.split(":", 1)[1].strip()).resolve()
        head = (git / "HEAD").read_text().strip()
    except OSError:
        return None
    if _SHA.match(head):
        return head
    if not head.startswith("ref:"):
        return None
    ref = head.split(":", 1)[1].strip()
    for gitdir in (git, _common_dir(git)):
        try:
            sha = (gitdir / ref).read_text().strip()
            if _SHA.match(sha):
                return sha
        except OSError:
            pass
        try:
            for line in (gitdir / "packed-refs").read_text().splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[1] == ref and _SHA.match(parts[0]):
                    return parts[0]
        except OSError:
            pass
    return None


def _common_dir(gitdir: Path) -> Path:
    try:
        return (gitdir / (gitdir / "commondir").read_text().strip()).resolve()
    except OSError:
        return gitdir
