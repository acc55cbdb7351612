"""Write files and directories so a crash never leaves a half-written result behind.

Everything is written to a temporary sibling first and renamed into place.
"""
from __future__ import annotations

from contextlib import contextmanager
import os
import re
from pathlib import Path
import shutil
import socket
import tempfile


_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "w", **kw):
    """Open a temporary file beside ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # as open() would have made it; mkstemp makes 0600
    try:
        with open(tmp, mode, **kw) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_file(path, "wb") as fh:
        fh.write(data)


_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system cannot, so the caller falls back to two renames."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner() -> str:
    """This host and process, as build directory names carry them."""
    host = re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:40] or "host"
    return f"{host}-{os.getpid()}"


def remove_stale_siblings(path: Path) -> list[Path]:
    """Temporary siblings of ``path`` left by a build that was killed (``kill -9``, a crash or a
    power cut): those made on this host by a process that is gone. A build running on another
    host (a shared file system) is never touched. Returns what was removed."""
    removed = []
    host = _owner().rsplit("-", 1)[0]
    for kind in ("building", "old"):
        for p in path.parent.glob(f".{path.name}.{kind}-*"):
            m = re.match(rf"^\.{re.escape(path.name)}\.{kind}-(.+)-(\d+)-", p.name)
            if m and m.group(1) == host and not _pid_alive(int(m.group(2))):
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p)
    return removed


def building_dir(path: Path) -> Path:
    """A new temporary directory beside ``path``, named for this host and process so that
    :func:`remove_stale_siblings` can tell one left by a killed build; stale ones are removed first."""
    path = Path(path).absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_siblings(path)
    return Path(tempfile.mkdtemp(prefix=f".{path.name}.building-{_owner()}-", dir=path.parent))


@contextmanager
def atomic_directory(path: str | os.PathLike):
    """Yield a temporary directory beside ``path``; on success it replaces ``path`` whole.

    Where the system can (Linux), the new directory and the old one are swapped in one
    ``renameat2(RENAME_EXCHANGE)``: a reader finds the old directory or the new one, and never
    finds none. Elsewhere the old one is moved aside and the new one renamed in. On failure
    the temporary directory is removed and ``path`` is left as it was; a temporary directory
    left by a killed build (its name carries the builder's pid) is removed by the next build.
    """
    path = Path(path).absolute()
    tmp = building_dir(path)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if path.is_dir() and _exchange(tmp, path):
        shutil.rmtree(tmp, ignore_errors=True)  # now the old directory
        return
    old = None
    if path.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-{_owner()}-", dir=path.parent))
        os.rmdir(old)
        os.rename(path, old)
    os.rename(tmp, path)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
