"""An archive (tarball, zip, wheel) read as one repository, after a bounded, safe extraction to a temp dir.

Safety, for archives from anywhere:
- a member whose name is absolute or climbs out with ``..`` stops the read (AuditorError);
- symlinks, hard links, devices and FIFOs are skipped, never created, and counted by kind in :class:`ReadStats`;
- the total uncompressed size and the member count are bounded (:class:`ArchiveLimits`), which stops
  zip and tar bombs; the size of a zip member is counted as it is decompressed, not trusted from its header;
- a member larger than the largest file that is read (``max_file_bytes``, 1 MB) is skipped without
  being written: it would not be indexed, and it cannot fill the disk;
- tar members also go through the standard library's ``data`` filter where Python has it (3.11.4+).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
import os
from pathlib import Path, PurePosixPath
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib

from auditor.corpus.files import MAX_FILE_BYTES, ReadStats, one_line, utf8_path
from auditor.corpus.trees import iter_tree
from auditor.errors import AuditorError
from auditor.models import SourceFile

TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar")
ZIP_SUFFIXES = (".zip", ".whl")
ARCHIVE_SUFFIXES = TAR_SUFFIXES + ZIP_SUFFIXES

_CHUNK = 1 << 20
_WHEEL = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)(-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$", re.IGNORECASE)
_DRIVE = re.compile(r"^[A-Za-z]:")
_ROOT = PurePosixPath(".")

try:
    from lzma import LZMAError
except ImportError:  # a Python built without lzma reads no .tar.xz at all
    LZMAError = OSError
# What damaged archives raise besides OSError: a stream cut short (EOFError), a damaged deflate or xz
# stream, a zip header naming a version, method or flag the zipfile module lacks, a zip member name
# that claims UTF-8 and is not.
CORRUPT_ARCHIVE_ERRORS = (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, LZMAError,
                          NotImplementedError, UnicodeDecodeError)


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds on what one archive may expand to."""

    max_total_bytes: int = 2 * 1024**3  # uncompressed, all members together
    max_members: int = 200_000

    def __post_init__(self):
        if self.max_total_bytes <= 0 or self.max_members <= 0:
            raise AuditorError("archive limits must be positive")


def archive_suffix(path: str | os.PathLike) -> str | None:
    name = os.fspath(path).lower()
    return next((s for s in ARCHIVE_SUFFIXES if name.endswith(s)), None)


def is_archive(path: str | os.PathLike) -> bool:
    return archive_suffix(path) is not None


def normalise_dist_name(name: str) -> str:
    """PEP 503 normal form: lower case, runs of ``-_.`` become one ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def archive_identity(path: str | os.PathLike) -> tuple[str, str | None]:
    """``(repo_name, revision)`` of an archive, from its file name.

    A wheel ``six-1.16.0-py2.py3-none-any.whl`` is ``("pypi/six", "1.16.0")``, the name the ``env``
    reader gives the same distribution once installed. Any other archive is its base name without
    the archive extension (``lodash-4.17.21.tgz`` -> ``lodash-4.17.21``) and no revision.
    """
    name = os.path.basename(os.fspath(path))
    wheel = _WHEEL.match(name)
    if wheel:
        return f"pypi/{normalise_dist_name(wheel['name'])}", wheel["version"]
    suffix = archive_suffix(name)
    return (name[: -len(suffix)] if suffix else name), None


def iter_archive(
    path: Path,
    *,
    stats: ReadStats,
    limits: ArchiveLimits = ArchiveLimits(),
    max_file_bytes: int = MAX_FILE_BYTES,
) -> Iterator[SourceFile]:
    """Source files of the archive. The temp dir is removed when the iterator ends or is closed."""
    repo_name, revision = archive_identity(path)
    repo_name = utf8_path(repo_name)
    with tempfile.TemporaryDirectory(prefix="auditor-archive-") as tmp:
        dest = Path(tmp)
        extract_archive(path, dest, limits=limits, stats=stats, max_file_bytes=max_file_bytes)
        root = dest if revision is not None else _wrapper_dir(dest, repo_name)
        yield from iter_tree(root, repo_name, revision=revision, stats=stats, max_file_bytes=max_file_bytes)


_VERSIONED_DIR = re.compile(r"^.+-(v?\d[\w.+]*|[0-9a-f]{7,40})$")


def _wrapper_dir(dest: Path, base_name: str) -> Path:
    """The directory file paths are relative to: the archive's wrapper directory when it has one.

    A wrapper is the only entry at the top and is named like a release, not like project content:
    the archive's own base name, ``name-1.0`` / ``repo-<sha>`` (sdists, GitHub archives) or
    ``package`` (npm). A lone ``src/`` or ``lib/`` stays part of the paths.
    """
    entries = list(dest.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        name = entries[0].name
        if name in (base_name, "package") or _VERSIONED_DIR.match(name):
            return entries[0]
    return dest


def extract_archive(path: Path, dest: Path, *, limits: ArchiveLimits, stats: ReadStats,
                    max_file_bytes: int = MAX_FILE_BYTES) -> None:
    suffix = archive_suffix(path)
    try:
        if suffix in ZIP_SUFFIXES:
            _extract_zip(path, dest, limits, stats, max_file_bytes)
        elif suffix in TAR_SUFFIXES:
            _extract_tar(path, dest, limits, stats, max_file_bytes)
        else:
            raise AuditorError(f"{path}: not an archive this tool reads ({', '.join(ARCHIVE_SUFFIXES)})")
    except CORRUPT_ARCHIVE_ERRORS as e:
        raise AuditorError(f"{path}: corrupt or unreadable archive: {one_line(e)}") from None
    except OSError as e:
        raise AuditorError(f"{path}: cannot extract: {one_line(e)}") from None


def safe_member_path(archive: Path, name: str) -> PurePosixPath:
    """The member's relative path, or AuditorError when it is absolute or climbs out of the extraction dir."""
    norm = name.replace("\\", "/")
    if norm.startswith("/") or _DRIVE.match(norm):
        raise AuditorError(f"{archive}: refusing archive member with an absolute path: {name!r}")
    parts = [p for p in norm.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise AuditorError(f"{archive}: refusing archive member that escapes the archive: {name!r}")
    return PurePosixPath(*parts)  # "." for the archive's root ("./" in `tar -C dir -czf x.tgz .`)


def _check_total(archive: Path, total: int, limits: ArchiveLimits) -> None:
    if total > limits.max_total_bytes:
        raise AuditorError(
            f"{archive}: expands to more than {limits.max_total_bytes:,} bytes (possible archive bomb); refused"
        )


def _check_count(archive: Path, count: int, limits: ArchiveLimits) -> None:
    if count > limits.max_members:
        raise AuditorError(f"{archive}: has more than {limits.max_members:,} members (possible archive bomb); refused")


def _extract_zip(archive: Path, dest: Path, limits: ArchiveLimits, stats: ReadStats, max_file_bytes: int) -> None:
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        _check_count(archive, len(infos), limits)
        _check_total(archive, sum(i.file_size for i in infos), limits)  # early refusal; counted again below
        total = 0
        for info in infos:
            rel = safe_member_path(archive, info.filename)
            target = dest.joinpath(rel)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            if rel == _ROOT:
                raise AuditorError(f"{archive}: refusing archive member with an empty name: {info.filename!r}")
            kind = stat.S_IFMT(info.external_attr >> 16)
            if kind and kind != stat.S_IFREG:
                stats.skip("symlink" if kind == stat.S_IFLNK else "device or special file")
                continue
            if info.flag_bits & 0x1:
                stats.skip("encrypted archive member")
                continue
            if info.file_size > max_file_bytes:
                stats.skip("over size cap")
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            with zf.open(info) as src, open(target, "wb") as out:
                while chunk := src.read(_CHUNK):
                    written += len(chunk)
                    total += len(chunk)
                    if written > info.file_size:
                        raise AuditorError(f"{archive}: member {info.filename!r} is larger than its header says; refused")
                    _check_total(archive, total, limits)
                    out.write(chunk)


def _special_reason(member: tarfile.TarInfo) -> str:
    """Why a tar member that is not a regular file or directory is skipped (a :class:`ReadStats` reason)."""
    if member.issym():
        return "symlink"
    if member.islnk():
        return "hard link"
    return "device or special file"  # character or block device, FIFO, or a type tar does not know


def _extract_tar(archive: Path, dest: Path, limits: ArchiveLimits, stats: ReadStats, max_file_bytes: int) -> None:
    data_filter = getattr(tarfile, "data_filter", None)
    with tarfile.open(archive, "r:*") as tf:
        count = total = 0
        for member in tf:  # one pass: a compressed tar is not decompressed twice
            count += 1
            _check_count(archive, count, limits)
            rel = safe_member_path(archive, member.name)
            if member.isdir():
                dest.joinpath(rel).mkdir(parents=True, exist_ok=True)
                continue
            if not member.isreg():
                stats.skip(_special_reason(member))
                continue
            if rel == _ROOT:
                raise AuditorError(f"{archive}: refusing archive member with an empty name: {member.name!r}")
            total += member.size
            _check_total(archive, total, limits)
            if member.size > max_file_bytes:
                stats.skip("over size cap")
                continue
            if data_filter is not None:
                try:
                    tf.extract(member, dest, set_attrs=False, filter="data")
                except tarfile.FilterError as e:
                    raise AuditorError(f"{archive}: refusing archive member {member.name!r}: {e}") from None
                continue
            target = dest.joinpath(rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            src = tf.extractfile(member)
            if src is None:
                stats.skip("device or special file")
                continue
            with src, open(target, "wb") as out:
                shutil.copyfileobj(src, out, _CHUNK)
