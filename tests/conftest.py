"""Shared fixtures: real code fetched through the package clients (cached, skipped offline)
and indexes built from it once per session."""
from __future__ import annotations

import os
from pathlib import Path
import shutil
import subprocess
import sys
import sysconfig

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def cache_dir() -> Path:
    d = Path(os.environ.get("AUDITOR_TEST_CACHE") or Path.home() / ".cache" / "auditor-tests")
    d.mkdir(parents=True, exist_ok=True)
    return d


def _run(cmd: list[str], cwd: Path, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def fetch_npm(name: str, version: str) -> Path:
    """``npm pack NAME@VERSION`` into the cache; skip the test when npm or the registry is missing."""
    base = name.lstrip("@").replace("/", "-")
    target = cache_dir() / f"{base}-{version}.tgz"
    if target.is_file():
        return target
    if not shutil.which("npm"):
        pytest.skip("npm is not installed")
    try:
        r = _run(["npm", "pack", f"{name}@{version}", "--silent"], cache_dir())
    except subprocess.TimeoutExpired:
        pytest.skip(f"npm registry did not answer for {name}@{version}")
    if r.returncode != 0 or not target.is_file():
        pytest.skip(f"npm pack {name}@{version} failed (offline?): {r.stderr.strip()[:200]}")
    return target


def _pip_download(name: str, version: str, binary: bool, matches) -> Path:
    """``pip download`` one pinned release (wheel or sdist) into the cache; skip when PyPI is unreachable."""
    found = [p for p in cache_dir().iterdir() if matches(p.name)]
    if found:
        return found[0]
    kind = ["--only-binary", ":all:"] if binary else ["--no-binary", ":all:"]
    try:
        r = _run([sys.executable, "-m", "pip", "download", "--no-deps", *kind, f"{name}=={version}",
                  "-d", str(cache_dir())], cache_dir())
    except subprocess.TimeoutExpired:
        pytest.skip(f"PyPI did not answer for {name}=={version}")
    found = [p for p in cache_dir().iterdir() if matches(p.name)]
    if r.returncode != 0 or not found:
        pytest.skip(f"pip download {name}=={version} failed (offline?): {r.stderr.strip()[-200:]}")
    return found[0]


def fetch_wheel(name: str, version: str) -> Path:
    prefix = f"{name.replace('-', '_')}-{version}-".lower()
    return _pip_download(name, version, True, lambda f: f.lower().startswith(prefix) and f.endswith(".whl"))


def fetch_sdist(name: str, version: str) -> Path:
    target = f"{name}-{version}.tar.gz".lower()
    return _pip_download(name, version, False, lambda f: f.lower() == target)


def fetch_deb_tree(package: str) -> Path:
    """A Debian binary package unpacked into a directory (``apt-get download`` + ``dpkg-deb -x``)."""
    target = cache_dir() / f"deb-{package}"
    if (target / ".complete").is_file():
        return target
    if not (shutil.which("apt-get") and shutil.which("dpkg-deb")):
        pytest.skip("apt-get/dpkg-deb not available")
    work = cache_dir() / f"deb-{package}.download"
    work.mkdir(exist_ok=True)
    try:
        r = _run(["apt-get", "download", package], work)
    except subprocess.TimeoutExpired:
        pytest.skip(f"Debian archive did not answer for {package}")
    debs = list(work.glob(f"{package}_*.deb"))
    if r.returncode != 0 or not debs:
        pytest.skip(f"apt-get download {package} failed (offline or no apt lists?): {r.stderr.strip()[:200]}")
    shutil.rmtree(target, ignore_errors=True)
    if _run(["dpkg-deb", "-x", str(debs[0]), str(target)], work).returncode != 0:
        pytest.skip(f"dpkg-deb could not unpack {debs[0].name}")
    (target / ".complete").write_text("ok")
    return target


@pytest.fixture(scope="session")
def stdlib_dir(tmp_path_factory) -> Path:
    """A real source tree: part of the running Python's standard library, copied as one repository."""
    root = tmp_path_factory.mktemp("trees") / "cpython-lib"
    root.mkdir()
    for name in ("json", "email", "http", "logging", "argparse.py", "textwrap.py", "difflib.py", "shlex.py"):
        src = STDLIB / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("__pycache__", "test*"))
        else:
            shutil.copy2(src, root / name)
    return root


@pytest.fixture(scope="session")
def stdlib_index(stdlib_dir, tmp_path_factory) -> Path:
    from auditor import api

    out = tmp_path_factory.mktemp("idx") / "stdlib"
    api.build_index([str(stdlib_dir)], out, workers=1, show_progress=False)
    return out


@pytest.fixture(scope="session")
def polyglot_sources() -> dict[str, Path]:
    """Real packages in several languages, fetched once and cached."""
    return {
        "javascript": fetch_npm("lodash", "4.17.21"),
        "typescript": fetch_npm("rxjs", "7.8.1"),
        "java": fetch_npm("cordova-android", "12.0.1"),
        "go": fetch_deb_tree("golang-github-pkg-errors-dev"),
        "python": fetch_wheel("six", "1.16.0"),
        "c": fetch_sdist("MarkupSafe", "2.1.5"),
    }


@pytest.fixture(scope="session")
def polyglot_index(polyglot_sources, tmp_path_factory) -> Path:
    from auditor import api

    out = tmp_path_factory.mktemp("idx") / "polyglot"
    api.build_index([str(p) for p in polyglot_sources.values()], out, workers=2, show_progress=False)
    return out


@pytest.fixture
def compiled_kernels():
    """The compiled kernels on for one test, whatever AUDITOR_KERNELS or an earlier test set
    (``pytestmark = pytest.mark.usefixtures("compiled_kernels")`` for a whole module)."""
    from auditor.fingerprint import mode

    before = mode.compiled_in_use()
    mode.use_compiled(True)
    yield
    mode.use_compiled(before)
