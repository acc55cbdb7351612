"""The running Python environment as a corpus: the embedded default that needs no download.

- ``python-stdlib`` (revision: the Python version): the standard library under
  ``sysconfig.get_paths()["stdlib"]``, without ``site-packages``/``dist-packages`` and without test
  suites (directories named ``test``, ``tests``, ``idle_test``). CPython's ``test`` package is about a
  third of the library, holds deliberately malformed files, and is not what generated code copies.
- ``pypi/<name>`` (revision: the version) for each installed distribution, de-duplicated by PEP 503
  name (the first on ``sys.path`` wins, as for imports): the source files its ``RECORD`` lists that
  exist inside the install directory. Scripts installed outside it (``../../bin``) and pip's
  ``__editable__`` shims are not read; a distribution without a ``RECORD`` yields nothing.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
import hashlib
import importlib.metadata
import os
from pathlib import Path, PurePosixPath
import platform
import stat
import sys
import sysconfig

from auditor.corpus import evidence as ev
from auditor.corpus.archives import normalise_dist_name
from auditor.corpus.files import MAX_FILE_BYTES, ReadStats, read_source_file, relpath_posix, utf8_path
from auditor.corpus.languages import language_of
from auditor.corpus.trees import SKIP_DIRS, walk_source_paths
from auditor.models import SourceFile

STDLIB_REPO = "python-stdlib"
STDLIB_SKIP_DIRS = SKIP_DIRS | {"site-packages", "dist-packages", "test", "tests", "idle_test", "lib-dynload"}


@dataclass(frozen=True)
class EnvPackage:
    """One repository of the environment: where its files are and which of them are read."""

    repo_name: str
    revision: str
    root: Path
    files: tuple[str, ...]  # posix paths relative to root
    evidence: Callable[[], ev.Evidence]


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def _stdlib_package() -> EnvPackage:
    root = stdlib_root()
    files = tuple(relpath_posix(p, root) for p in walk_source_paths(root, skip_dirs=STDLIB_SKIP_DIRS))
    return EnvPackage(STDLIB_REPO, platform.python_version(), root, files, ev.stdlib_evidence)


def installed_distributions() -> list[importlib.metadata.Distribution]:
    """One distribution per normalised name, the one imports would see, sorted by that name."""
    seen: dict[str, importlib.metadata.Distribution] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if not name:
            continue
        seen.setdefault(normalise_dist_name(name), dist)
    return [seen[k] for k in sorted(seen)]


def _record_sources(dist: importlib.metadata.Distribution) -> tuple[str, ...]:
    out = []
    for f in dist.files or ():
        p = PurePosixPath(str(f).replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts or "__pycache__" in p.parts or p.name.startswith("__editable__"):
            continue
        if language_of(p.name) is not None:
            out.append(str(p))
    return tuple(sorted(set(out)))


def _distribution_package(dist: importlib.metadata.Distribution) -> EnvPackage:
    name = normalise_dist_name(dist.metadata["Name"])
    return EnvPackage(
        repo_name=f"pypi/{name}",
        revision=dist.version,
        root=Path(dist.locate_file("")),
        files=_record_sources(dist),
        evidence=lambda: ev.distribution_evidence(dist),
    )


def env_packages() -> list[EnvPackage]:
    """The standard library first, then every distribution in name order."""
    return [_stdlib_package()] + [_distribution_package(d) for d in installed_distributions()]


def iter_env(
    *, stats: ReadStats, max_file_bytes: int = MAX_FILE_BYTES, packages: list[EnvPackage] | None = None
) -> Iterator[SourceFile]:
    for package in env_packages() if packages is None else packages:
        if not package.files:
            continue
        evidence = package.evidence()
        for rel in package.files:
            read = read_source_file(package.root / rel, stats=stats, max_file_bytes=max_file_bytes)
            if read is None:
                continue
            content, blob_id = read
            yield SourceFile(
                blob_id=blob_id,
                repo_name=package.repo_name,
                path=utf8_path(rel),
                content=content,
                language=language_of(rel),
                revision=package.revision,
                **ev.evidence_fields(evidence, rel),
            )


def count_env_files(max_file_bytes: int = MAX_FILE_BYTES) -> tuple[int, int]:
    """``(files, bytes)`` the env reader will read, from ``stat`` alone: a total for a progress bar.

    An upper bound: binary and whitespace-only files are only recognised when read, and skipped then.
    """
    files = size = 0
    for package in env_packages():
        for rel in package.files:
            try:
                st = os.lstat(package.root / rel)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and st.st_size <= max_file_bytes:
                files += 1
                size += st.st_size
    return files, size


def env_fingerprint() -> str:
    """Short sha256 of the Python version, ``sys.prefix`` and every installed distribution: the env index's cache key.

    Read from the names of the ``*.dist-info``/``*.egg-info`` entries on ``sys.path`` (they carry
    name and version) and their RECORD's mtime, not from parsed metadata: a cold
    ``trace-snippet`` computes it, and parsing 100+ METADATA files costs half a second.
    """
    h = hashlib.sha256()
    h.update(f"{sys.version}\n{sys.prefix}\n".encode())
    for entry in sys.path:
        try:
            names = sorted(e.name for e in os.scandir(entry or ".") if e.name.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
        for name in names:
            try:
                mtime = os.stat(os.path.join(entry or ".", name)).st_mtime_ns
            except OSError:
                mtime = 0
            h.update(f"{entry}/{name}:{mtime}\n".encode())
    return h.hexdigest()[:16]


def describe_env() -> dict:
    dists = installed_distributions()
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "prefix": sys.prefix,
        "stdlib": str(stdlib_root()),
        "distributions": len(dists),
        "fingerprint": env_fingerprint(),
    }
