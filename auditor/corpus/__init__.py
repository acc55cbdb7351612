"""Corpus readers: every kind of source a build can index, each yielding :class:`auditor.models.SourceFile`.

A *spec* names one source:

==========================================  =========  ==============================================
spec                                        kind       repo_name of its files
==========================================  =========  ==============================================
``env``                                     env        ``python-stdlib``, ``pypi/<name>``
``hf:owner/name[:config][@split]``          hub        from the rows (The Stack v1/v2 columns)
``x.parquet``, ``x.jsonl[.gz]``, ``x.json``  table      from the rows; the file's stem when absent
a directory saved by ``save_to_disk``       dataset    from the rows; the directory's name when absent
any other directory                         tree       the directory's name
``.tar[.gz|.bz2|.xz]``, ``.tgz``, ``.zip``  archive    the base name without extension
``.whl``                                    archive    ``pypi/<name>`` (revision: the version)
==========================================  =========  ==============================================

``env`` always means the running environment; a directory called ``env`` is ``./env``.

Files of trees, archives and the environment: only source files (by extension, see
:mod:`auditor.corpus.languages`), at most :data:`~auditor.corpus.files.MAX_FILE_BYTES` (1 MB) each,
not binary (no NUL byte in the first 8 KB), not whitespace-only; UTF-8, or latin-1 when not UTF-8.
Rows of tables with empty content are skipped. Every skip is counted in :class:`ReadStats`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
import hashlib
import itertools
import logging
import os
from pathlib import Path
import tarfile
from typing import TypeVar
import zipfile

from auditor.corpus.archives import (
    ARCHIVE_SUFFIXES, CORRUPT_ARCHIVE_ERRORS, archive_identity, archive_suffix, iter_archive,
)
from auditor.corpus.environment import count_env_files, describe_env, env_fingerprint, iter_env
from auditor.corpus.files import ReadStats, utf8_path
from auditor.corpus.hub import check_hub, is_hub_spec, iter_hub, parse_hub_spec
from auditor.corpus.languages import language_of
from auditor.corpus.tables import (
    JSON_SUFFIXES,
    JSONL_SUFFIXES,
    PARQUET_SUFFIXES,
    TABLE_SUFFIXES,
    is_saved_dataset,
    iter_json,
    iter_parquet,
    iter_saved_dataset,
    json_layout,
    parquet_layout,
    saved_dataset_info,
    table_name,
    table_suffix,
)
from auditor.corpus.trees import git_head, iter_tree
from auditor.errors import AuditorError
from auditor.models import SourceFile

__all__ = [
    "ReadStats",
    "count_env_files",
    "describe_source",
    "env_fingerprint",
    "iter_source",
    "language_of",
    "shard",
    "source_kind",
    "validate_source",
]

log = logging.getLogger(__name__)

ENV_SPEC = "env"

Progress = Callable[[int, int], None]
T = TypeVar("T")


def source_kind(spec: str) -> str:
    """``env``, ``hub``, ``dataset``, ``tree``, ``archive``, ``parquet``, ``jsonl`` or ``json``.

    AuditorError when the spec names nothing this package reads.
    """
    if spec == ENV_SPEC:
        return "env"
    if is_hub_spec(spec):
        return "hub"
    path = Path(spec).expanduser()
    if path.is_dir():
        return "dataset" if is_saved_dataset(path) else "tree"
    if not path.exists():
        raise AuditorError(f"no such corpus source: {spec} (not a file or directory, 'env' or 'hf:owner/name')")
    if archive_suffix(path):
        return "archive"
    suffix = table_suffix(path)
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in JSON_SUFFIXES:
        return "json"
    raise AuditorError(
        f"{spec}: not a corpus this tool reads: expected a directory, an archive "
        f"({', '.join(ARCHIVE_SUFFIXES)}), a table ({', '.join(TABLE_SUFFIXES)}), 'env' or 'hf:owner/name'"
    )


def iter_source(spec: str, *, progress: Progress | None = None, stats: ReadStats | None = None) -> Iterator[SourceFile]:
    """The files of one source, streamed.

    ``progress(n_files, n_bytes)`` is called after each file is yielded with *increments*
    (always ``1`` and that file's UTF-8 size), so one callback can add up several sources;
    ``rich``'s ``progress.advance`` fits it. ``stats`` (optional) is filled in as the iterator is
    consumed: files and bytes yielded, and what was skipped and why.

    The kind is resolved now, so an unknown or missing source raises here; read errors are
    raised (as AuditorError) while iterating.
    """
    kind = source_kind(spec)
    stats = ReadStats() if stats is None else stats
    path = Path(spec).expanduser()
    if kind == "env":
        files = iter_env(stats=stats)
    elif kind == "hub":
        parse_hub_spec(spec)
        files = iter_hub(spec, stats=stats)
    elif kind == "dataset":
        files = iter_saved_dataset(path, stats=stats)
    elif kind == "tree":
        root = path.resolve()
        files = iter_tree(root, utf8_path(root.name), revision=git_head(root), stats=stats)
    elif kind == "archive":
        files = iter_archive(path, stats=stats)
    elif kind == "parquet":
        files = iter_parquet(path, stats=stats)
    else:
        files = iter_json(path, stats=stats)
    return _counted(spec, files, stats, progress)


def _counted(spec: str, files: Iterator[SourceFile], stats: ReadStats, progress: Progress | None) -> Iterator[SourceFile]:
    try:
        for sf in files:
            n = len(sf.content.encode("utf-8", "surrogateescape"))
            stats.files += 1
            stats.bytes += n
            if progress is not None:
                progress(1, n)
            yield sf
    finally:
        files.close()  # an archive's temp dir goes now, not when the generator is collected
    log.info("%s: %s", spec, stats.as_dict())


def describe_source(spec: str) -> dict:
    """A JSON-able description of the source for an index manifest: ``spec``, ``kind``, ``name`` and more.

    Tables and archives carry their sha256 (the whole file is hashed), the env its Python version,
    distribution count and fingerprint. Reads no network: a hub source is described by its id.
    """
    kind = source_kind(spec)
    out: dict = {"spec": spec, "kind": kind}
    path = Path(spec).expanduser()
    if kind == "env":
        out["name"] = "python-env"
        out.update(describe_env())
    elif kind == "hub":
        hub = parse_hub_spec(spec)
        out.update(name=hub.name, config=hub.config, split=hub.split)
    elif kind == "tree":
        root = path.resolve()
        out.update(name=root.name, path=str(root), revision=git_head(root))
    elif kind == "dataset":
        out.update(name=path.resolve().name, path=str(path.resolve()), splits=saved_dataset_info(path))
    elif kind == "archive":
        name, revision = archive_identity(path)
        out.update(name=name, revision=revision, **_file_identity(path))
    else:
        out["name"] = table_name(path)
        out.update(_file_identity(path))
        if kind == "parquet":
            out["layout"], out["rows"] = parquet_layout(path)
        else:
            out["layout"] = json_layout(path)
    return out


def validate_source(spec: str) -> None:
    """AuditorError (one line) unless the source exists and looks readable: run before a build writes anything.

    Cheap: a parquet footer, a JSON line, an archive's first header, the hub's dataset info.
    """
    kind = source_kind(spec)
    path = Path(spec).expanduser()
    if kind == "env":
        return
    if kind == "hub":
        check_hub(parse_hub_spec(spec))
    elif kind == "tree":
        if not os.access(path, os.R_OK | os.X_OK):
            raise AuditorError(f"{spec}: directory is not readable")
    elif kind == "dataset":
        saved_dataset_info(path)
    elif not os.access(path, os.R_OK):
        raise AuditorError(f"{spec}: file is not readable")
    elif kind == "archive":
        _check_archive(path)
    elif kind == "parquet":
        parquet_layout(path)
    else:
        json_layout(path)


def _check_archive(path: Path) -> None:
    if archive_suffix(path) in (".zip", ".whl"):
        ok = zipfile.is_zipfile(path)
    else:
        try:
            ok = tarfile.is_tarfile(path)
        except (OSError, *CORRUPT_ARCHIVE_ERRORS):
            ok = False
    if not ok:
        raise AuditorError(f"{path}: corrupt or not a {archive_suffix(path)} archive")


def _file_identity(path: Path) -> dict:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    except OSError as e:
        raise AuditorError(f"{path}: cannot read: {e.strerror or e}") from None
    return {"path": str(path.resolve()), "bytes": path.stat().st_size, "sha256": h.hexdigest()}


def shard(items: Iterable[T], rank: int, world_size: int) -> Sequence[T] | Iterator[T]:
    """The share of ``items`` that worker ``rank`` of ``world_size`` takes: ``items[rank::world_size]``.

    A sequence gives a slice; any other iterable a lazy iterator over the same positions.
    """
    if world_size < 1 or not 0 <= rank < world_size:
        raise AuditorError(f"rank {rank} is not in 0..{world_size - 1} (world_size {world_size})")
    if isinstance(items, Sequence):
        return items[rank::world_size]
    return itertools.islice(items, rank, None, world_size)
