"""Fetching real code with known licences for the benchmarks, through the package clients.

Shared by ``starcoder2_extraction.py`` and ``licensing_accuracy.py`` (see DESIGN.md, "Getting
real code with known licences"). Everything is cached under ``benchmarks/.cache/`` and every
function returns a reason instead of raising when a registry or mirror cannot be reached, so a
benchmark can skip cleanly offline.

- Debian sources: a private ``deb-src`` list (the host's mirror URI is read from
  ``/etc/apt`` at run time, never hard-coded), ``apt-get source --download-only``, then
  ``dpkg-source -x`` (or plain extraction of the orig and debian tarballs without it).
- PyPI: ``pip download --no-deps --only-binary :all: NAME==VER`` (wheels), ``--no-binary :all:`` (sdists).
- npm: ``npm pack NAME@VER``.
"""
from __future__ import annotations

import glob
import os
from pathlib import Path
import re
import shutil
import subprocess
import sys
import tarfile

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"

_apt_updated: dict[Path, str | None] = {}  # debian root -> None (ok) or the failure reason


def debian_uri() -> tuple[str, str] | None:
    """(URI, suite) of the host's Debian mirror, read at run time (never hard-coded)."""
    deb822 = Path("/etc/apt/sources.list.d/debian.sources")
    if deb822.is_file():
        for stanza in deb822.read_text().split("\n\n"):
            fields = dict(line.split(":", 1) for line in stanza.splitlines()
                          if ":" in line and not line.startswith("#"))
            uris = fields.get("URIs", "").split()
            suites = fields.get("Suites", "").split()
            if uris and suites and "security" not in suites[0]:
                return uris[0], suites[0]
    legacy = Path("/etc/apt/sources.list")
    if legacy.is_file():
        for line in legacy.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and "security" not in parts[2]:
                uri = next(p for p in parts[1:] if not p.startswith("["))
                suite = parts[parts.index(uri) + 1]
                return uri, suite
    return None


def _apt_options(root: Path) -> list[str]:
    return ["-o", f"Dir::Etc::SourceList={root / 'sources.list'}", "-o", "Dir::Etc::SourceParts=/nonexistent",
            "-o", f"Dir::State::Lists={root / 'lists'}", "-o", "APT::Sandbox::User=root", "-q"]


def apt_ready(root: Path) -> tuple[list[str] | None, str | None]:
    """Write the private deb-src list under ``root`` and run ``apt-get update`` once per process.
    Returns (apt-get options, None) or (None, why not)."""
    if root in _apt_updated:
        reason = _apt_updated[root]
        return (None, reason) if reason else (_apt_options(root), None)
    reason = None
    if not shutil.which("apt-get"):
        reason = "apt-get not found"
    elif not (found := debian_uri()):
        reason = "no Debian mirror configured in /etc/apt"
    else:
        uri, suite = found
        (root / "lists" / "partial").mkdir(parents=True, exist_ok=True)
        (root / "sources.list").write_text(
            f"deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] {uri} {suite} main\n")
        try:
            r = subprocess.run(["apt-get", *_apt_options(root), "update"], capture_output=True, text=True, timeout=180)
            if r.returncode != 0:
                reason = f"apt-get update failed: {r.stderr.strip().splitlines()[-1:]}"
        except subprocess.TimeoutExpired:
            reason = "apt-get update timed out (mirror unreachable?)"
    _apt_updated[root] = reason
    return (None, reason) if reason else (_apt_options(root), None)


def fetch_debian_sources(packages, cache: Path = CACHE) -> tuple[list[Path], list[str]]:
    """Download orig tarballs with a private deb-src list. Returns (tarballs, skip reasons)."""
    root = cache / "debian"
    archives = root / "archives"
    archives.mkdir(parents=True, exist_ok=True)
    reasons: list[str] = []
    have = {p: sorted(glob.glob(str(archives / f"{p}_*.orig*.tar.*"))) for p in packages}
    missing = [p for p in packages if not have[p] and not (archives / f"{p}.unavailable").exists()]
    if missing:
        opts, why = apt_ready(root)
        if opts is None:
            return [Path(f) for fs in have.values() for f in fs], [why]
        for p in missing:
            try:
                r = subprocess.run(["apt-get", *opts, "source", "--download-only", p], cwd=archives,
                                   capture_output=True, text=True, timeout=300)
            except subprocess.TimeoutExpired:
                reasons.append(f"{p}: download timed out")
                continue
            have[p] = sorted(glob.glob(str(archives / f"{p}_*.orig*.tar.*")))
            if not have[p]:
                err = (r.stderr.strip().splitlines() or ["no orig tarball"])[-1]
                reasons.append(f"{p}: skipped ({err[:160]})")
                if "404" in r.stderr or "Unable to find a source package" in r.stderr:
                    (archives / f"{p}.unavailable").write_text(r.stderr)
    for p in packages:
        if (archives / f"{p}.unavailable").exists() and not have[p]:
            msg = f"{p}: skipped (not available on the mirror)"
            if msg not in reasons and not any(x.startswith(p + ":") for x in reasons):
                reasons.append(msg)
    return [Path(f) for p in packages for f in have[p]], reasons


def _no_epoch(version: str) -> str:
    return version.split(":", 1)[1] if ":" in version else version


def debian_source_tree(package: str, version: str, cache: Path = CACHE) -> tuple[Path | None, str | None]:
    """The unpacked Debian source package ``package`` at exactly ``version``
    (upstream files as released, Debian patches not applied,
    ``debian/`` included), cached in ``cache/debian/src/``. Returns (tree, None) or (None, why not)."""
    root = cache / "debian"
    archives = root / "archives"
    archives.mkdir(parents=True, exist_ok=True)
    dest = root / "src" / f"{package}_{_no_epoch(version)}"
    if (dest / "debian" / "copyright").is_file():
        return dest, None
    dsc = archives / f"{package}_{_no_epoch(version)}.dsc"
    marker = archives / f"{package}_{_no_epoch(version)}.unavailable"
    if marker.exists():
        return None, f"{package}={version}: not available on the mirror ({marker.read_text().strip()[-160:]})"
    if not dsc.is_file():
        opts, why = apt_ready(root)
        if opts is None:
            return None, f"{package}={version}: {why}"
        try:
            r = subprocess.run(["apt-get", *opts, "source", "--download-only", f"{package}={version}"], cwd=archives,
                               capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            return None, f"{package}={version}: download timed out"
        if r.returncode != 0 or not dsc.is_file():
            dsc.unlink(missing_ok=True)  # a .dsc whose tarballs 404 on the mirror would fail dpkg-source forever
            lines = r.stderr.strip().splitlines() or ["no .dsc downloaded"]
            err = next((x for x in lines if "404" in x), lines[-1])
            if "404" in r.stderr or "Unable to find a source package" in r.stderr or "Can not find version" in r.stderr:
                marker.write_text(err)
            return None, f"{package}={version}: skipped ({err[:160]})"
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    if shutil.which("dpkg-source"):
        r = subprocess.run(["dpkg-source", "--no-check", "--no-copy", "--skip-patches", "-x", str(dsc), str(tmp)],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            return None, f"{package}={version}: dpkg-source failed: {r.stderr.strip()[-200:]}"
    else:  # orig + debian tarballs, patches not applied
        stem = f"{package}_{_no_epoch(version).rsplit('-', 1)[0]}"
        origs = sorted(glob.glob(str(archives / f"{glob.escape(stem)}.orig.tar.*")))
        debs = sorted(glob.glob(str(archives / f"{package}_{glob.escape(_no_epoch(version))}.debian.tar.*")))
        if not origs or not debs:
            return None, f"{package}={version}: no dpkg-source and no orig/debian tarballs to unpack"
        tmp.mkdir(parents=True)
        with tarfile.open(origs[0]) as tf:
            tf.extractall(tmp, filter="data")
        tops = list(tmp.iterdir())
        if len(tops) == 1 and tops[0].is_dir():
            inner = tops[0]
            for child in list(inner.iterdir()):
                child.rename(tmp / child.name)
            inner.rmdir()
        with tarfile.open(debs[0]) as tf:
            tf.extractall(tmp, filter="data")
    tmp.rename(dest)
    return dest, None


def _run_client(cmd: list[str], cwd: Path, timeout: int = 300) -> tuple[bool, str]:
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                           env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    except (subprocess.TimeoutExpired, OSError) as e:
        return False, f"{cmd[0]}: {e}"
    lines = [x for x in r.stderr.strip().splitlines() if x.strip() and "log of this run" not in x]
    errors = [x for x in lines if "error" in x.lower() or "404" in x]
    return r.returncode == 0, ((errors or lines or [""])[0])[:200]


def pypi_wheel(name: str, version: str, cache: Path = CACHE) -> tuple[Path | None, str | None]:
    """The wheel of ``name==version`` (``pip download --no-deps --only-binary :all:``), cached in
    ``cache/pypi/``. Returns (wheel, None) or (None, why not)."""
    out = cache / "pypi"
    out.mkdir(parents=True, exist_ok=True)
    norm = name.replace("-", "_").lower()

    def found():
        return next((p for p in sorted(out.glob("*.whl"))
                     if p.name.lower().startswith(f"{norm}-{version}-")), None)

    if (w := found()) is not None:
        return w, None
    # Two quick tries: offline, pip's default of 5 retries per wheel made a skip take minutes.
    ok, err = _run_client([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
                           "--retries", "1", "--timeout", "20", f"{name}=={version}", "-d", str(out)], out)
    w = found()
    return (w, None) if w is not None else (None, f"pypi {name}=={version}: {err or 'no wheel downloaded'}")


def pypi_sdist(name: str, version: str, cache: Path = CACHE) -> tuple[Path | None, str | None]:
    """The sdist of ``name==version`` (``pip download --no-deps --no-binary :all:``), cached in
    ``cache/pypi-sdist/``. pip prepares the sdist's metadata, which fails for some packages (DESIGN.md).
    Returns (sdist, None) or (None, why not)."""
    out = cache / "pypi-sdist"
    out.mkdir(parents=True, exist_ok=True)
    norm = re.sub(r"[-_.]+", "_", name).lower()

    def found():
        return next((p for p in sorted(out.iterdir()) if p.name.endswith((".tar.gz", ".zip"))
                     and re.sub(r"[-_.]+", "_", p.name.lower()).startswith(f"{norm}_{version.replace('.', '_')}_")), None)

    if (s := found()) is not None:
        return s, None
    ok, err = _run_client([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                           "--retries", "1", "--timeout", "20", f"{name}=={version}", "-d", str(out)], out, timeout=600)
    s = found()
    return (s, None) if s is not None else (None, f"pypi {name}=={version}: {err or 'no sdist downloaded'}")


def npm_tarball(name: str, version: str, cache: Path = CACHE) -> tuple[Path | None, str | None]:
    """The npm tarball of ``name@version`` (``npm pack``), cached in ``cache/npm/``."""
    out = cache / "npm"
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    if target.is_file():
        return target, None
    if not shutil.which("npm"):
        return None, f"npm {name}@{version}: npm not found"
    ok, err = _run_client(["npm", "pack", "-q", f"{name}@{version}"], out)
    return (target, None) if target.is_file() else (None, f"npm {name}@{version}: {err or 'npm pack failed'}")


def git_state(repo: Path) -> dict:
    """The commit a benchmark ran on, and whether ``auditor/`` had uncommitted changes."""
    try:
        commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "auditor"],
                                    capture_output=True, text=True).stdout.strip())
    except OSError:
        return {}
    return {"commit": commit, "dirty": dirty}
