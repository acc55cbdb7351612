"""Hostile archives, index integrity, rebuilds under readers, kill -9 and memory bounds.

Each test here is a row of docs/reliability.md (a test checks that the table names only
tests that exist)."""
from __future__ import annotations

import io
import json
import os
from pathlib import Path
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import zipfile

import numpy as np
import pytest

from auditor import api
from auditor.corpus.archives import ArchiveLimits, extract_archive
from auditor.corpus.files import ReadStats
from auditor.errors import AuditorError
from auditor.index.reader import Index

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "data" / "golden"
BIN = Path(sys.executable).parent
SIX = (GOLDEN / "corpus" / "six-1.16.0" / "six.py").read_bytes()


# -- hostile archives --------------------------------------------------------------------

def _tar(path: Path, members: list[tarfile.TarInfo], data: dict[str, bytes] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for m in members:
            payload = (data or {}).get(m.name)
            tf.addfile(m, io.BytesIO(payload) if payload is not None else None)
    return path


def _member(name: str, kind=tarfile.REGTYPE, size: int = 0, **kw) -> tarfile.TarInfo:
    m = tarfile.TarInfo(name)
    m.type, m.size = kind, size
    for k, v in kw.items():
        setattr(m, k, v)
    return m


def _regular(name: str, payload: bytes = SIX) -> tuple[tarfile.TarInfo, bytes]:
    return _member(name, size=len(payload)), payload


def _build(src: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "auditor"), "index", "build", str(src), "--out", str(out), "-q", "-j", "1",
                           "--no-header-scan"], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name,needle", [("../evil.py", "escapes"), ("pkg/../../evil.py", "escapes"),
                                         ("/etc/evil.py", "absolute"), ("C:/evil.py", "absolute")])
def test_tar_member_escaping_the_archive_is_refused(tmp_path, name, needle):
    member, payload = _regular(name)
    tgz = _tar(tmp_path / "evil-1.0.tar.gz", [member], {name: payload})
    r = _build(tgz, tmp_path / "idx")
    assert r.returncode == 2 and needle in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "idx").exists() and not (tmp_path.parent / "evil.py").exists()
    assert not list(tmp_path.glob(".idx.*")), "a half-built index was left behind"


@pytest.mark.parametrize("kind,extra,reason", [(tarfile.SYMTYPE, {"linkname": "/etc/passwd"}, "symlink"),
                                               (tarfile.SYMTYPE, {"linkname": "../../outside.py"}, "symlink"),
                                               (tarfile.LNKTYPE, {"linkname": "pkg/six.py"}, "hard link"),
                                               (tarfile.CHRTYPE, {"devmajor": 1, "devminor": 3}, "device or special file"),
                                               (tarfile.BLKTYPE, {"devmajor": 8, "devminor": 0}, "device or special file"),
                                               (tarfile.FIFOTYPE, {}, "device or special file")])
def test_tar_links_and_devices_are_skipped_never_created(tmp_path, kind, extra, reason):
    good, payload = _regular("pkg/six.py")
    tgz = _tar(tmp_path / "links-1.0.tar.gz", [good, _member("pkg/odd.py", kind, **extra)], {"pkg/six.py": payload})
    dest = tmp_path / "out"
    dest.mkdir()
    stats = ReadStats()
    extract_archive(tgz, dest, limits=ArchiveLimits(), stats=stats)
    assert (dest / "pkg" / "six.py").is_file()
    assert not os.path.lexists(dest / "pkg" / "odd.py")
    assert stats.skipped == {reason: 1}


def test_tar_bomb_is_refused_before_it_is_written(tmp_path):
    big = 3 * 1024 * 1024
    members = [_member(f"pkg/f{i}.py", size=big) for i in range(4)]
    tgz = _tar(tmp_path / "bomb-1.0.tar.gz", members, {m.name: b"\0" * big for m in members})
    assert tgz.stat().st_size < 100_000  # 12 MB of zeros compress to a few KB
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(AuditorError, match="archive bomb"):
        extract_archive(tgz, dest, limits=ArchiveLimits(max_total_bytes=10 * 1024 * 1024), stats=ReadStats())
    assert sum(f.stat().st_size for f in dest.rglob("*") if f.is_file()) == 0  # over the 1 MB file cap: not written


def test_too_many_members_is_refused(tmp_path):
    members = [_regular(f"pkg/m{i}.py", b"x = 1\n") for i in range(12)]
    tgz = _tar(tmp_path / "many-1.0.tar.gz", [m for m, _ in members], {m.name: p for m, p in members})
    with pytest.raises(AuditorError, match="more than 10 members"):
        extract_archive(tgz, tmp_path, limits=ArchiveLimits(max_members=10), stats=ReadStats())


def test_oversized_members_are_skipped_not_written(tmp_path):
    huge = b"# " + b"y" * (2 * 1024 * 1024) + b"\n"
    tgz = _tar(tmp_path / "big-1.0.tar.gz", [_member("pkg/huge.py", size=len(huge)), _regular("pkg/six.py")[0]],
               {"pkg/huge.py": huge, "pkg/six.py": SIX})
    zp = tmp_path / "big-1.0.zip"
    with zipfile.ZipFile(zp, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("pkg/huge.py", huge)
        z.writestr("pkg/six.py", SIX)
    for archive in (tgz, zp):
        dest = tmp_path / f"out-{archive.suffix}"
        dest.mkdir()
        stats = ReadStats()
        extract_archive(archive, dest, limits=ArchiveLimits(), stats=stats)
        assert not (dest / "pkg" / "huge.py").exists() and (dest / "pkg" / "six.py").is_file()
        assert stats.skipped == {"over size cap": 1}


@pytest.mark.parametrize("name", ["/abs.py", "../up.py", "C:\\win.py"])
def test_zip_member_escaping_the_archive_is_refused(tmp_path, name):
    zp = tmp_path / "evil-1.0.zip"
    with zipfile.ZipFile(zp, "w") as z:
        z.writestr(zipfile.ZipInfo(name), SIX)
    r = _build(zp, tmp_path / "idx")
    assert r.returncode == 2 and ("absolute" in r.stderr or "escapes" in r.stderr)
    assert not (tmp_path / "idx").exists()


def test_corrupt_archive_is_one_line(tmp_path):
    bad = tmp_path / "broken-1.0.tar.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00" + os.urandom(2000))
    r = _build(bad, tmp_path / "idx")
    assert r.returncode == 2 and "corrupt" in r.stderr and "Traceback" not in r.stderr


def test_skipped_archive_members_are_named_in_the_summary_and_the_manifest(tmp_path):
    """Every member the build refuses or caps is counted by reason, on stderr and in the manifest."""
    import textwrap

    real = Path(textwrap.__file__).read_bytes()  # a real source file, from the standard library
    huge = b"# " + b"y" * 2_400_000 + b"\n"  # over the 1 MB per-file cap
    members = [_member("that-1.0/textwrap.py", size=len(real)),
               _member("that-1.0/passwd.py", tarfile.SYMTYPE, linkname="/etc/passwd"),
               _member("that-1.0/hard.py", tarfile.LNKTYPE, linkname="that-1.0/textwrap.py"),
               _member("that-1.0/null.py", tarfile.CHRTYPE, devmajor=1, devminor=3),
               _member("that-1.0/huge.py", size=len(huge)),
               _member("that-1.0/blob.py", size=12)]
    data = {"that-1.0/textwrap.py": real, "that-1.0/huge.py": huge, "that-1.0/blob.py": b"x = 1\0\0\0\0\0\0\n"}
    tgz = _tar(tmp_path / "that-1.0.tar.gz", members, data)
    out = tmp_path / "idx"
    r = subprocess.run([str(BIN / "auditor"), "index", "build", str(tgz), "--out", str(out), "-j", "1",
                        "--no-header-scan"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    summary = [line for line in r.stderr.splitlines() if line.startswith("auditor: ")]
    assert len(summary) == 1 and summary[0].startswith("auditor: 1 files ("), r.stderr
    assert summary[0].endswith("; skipped 5 files: 1 binary, 1 device or special file, 1 hard link, "
                               "1 over size cap, 1 symlink"), summary[0]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["files"] == 1
    assert manifest["counts"]["skipped"] == {"binary": 1, "device or special file": 1, "hard link": 1,
                                             "over size cap": 1, "symlink": 1}
    (row,) = [json.loads(line) for line in (out / "files.jsonl").read_text().splitlines()]
    assert (row["repo_name"], row["path"]) == ("that-1.0", "textwrap.py")
    # A member that climbs out of the archive is not skipped but refuses the whole archive, in one line.
    evil, payload = _regular("../evil.py")
    _tar(tmp_path / "that-1.0.tar.gz", members + [evil], {**data, "../evil.py": payload})
    r = _build(tgz, tmp_path / "idx2")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "escapes the archive: '../evil.py'" in r.stderr
    assert not (tmp_path / "idx2").exists() and not (tmp_path.parent / "evil.py").exists()


# -- index integrity -------------------------------------------------------------------------

@pytest.fixture()
def small_index(tmp_path) -> Path:
    out = tmp_path / "idx"
    api.build_index([str(GOLDEN / "corpus" / "six-1.16.0")], out, workers=1, show_progress=False, scan_headers=False)
    return out


def _flip_byte(path: Path, offset: int) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        b = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([b[0] ^ 0xFF]))


@pytest.mark.parametrize("table", ["content.bin", "signatures.npy", "band_keys.npy", "files.jsonl"])
def test_a_flipped_byte_is_caught_by_sha256(small_index, table):
    Index(small_index)  # verified once and stamped
    path = small_index / table
    _flip_byte(path, path.stat().st_size // 2)
    with pytest.raises(AuditorError, match=f"{re.escape(table)} does not match the sha256"):
        Index(small_index)


def test_truncated_and_swapped_tables_are_refused(small_index, tmp_path):
    other = tmp_path / "other"
    api.build_index([str(REPO / "auditor" / "report")], other, workers=1, show_progress=False, scan_headers=False)
    shutil.copy(other / "files.jsonl", small_index / "files.jsonl")  # a table from another index
    with pytest.raises(AuditorError, match="corrupt index"):
        Index(small_index)
    with open(other / "windows.npy", "r+b") as fh:
        fh.truncate(other.joinpath("windows.npy").stat().st_size - 100)
    with pytest.raises(AuditorError, match="corrupt index"):
        Index(other)
    r = subprocess.run([str(BIN / "auditor"), "index", "info", str(small_index), "--check"], capture_output=True,
                       text=True)
    assert r.returncode == 2 and "files.jsonl" in r.stdout
    manifest = json.loads((small_index / "manifest.json").read_text())
    for tables in ({}, [], {"files.jsonl": "x"}):  # a manifest that would let tables go unchecked
        (small_index / "manifest.json").write_text(json.dumps(dict(manifest, tables=tables)))
        with pytest.raises(AuditorError, match="size and sha256 of every table"):
            Index(small_index)


def test_index_info_check_names_the_damaged_table_on_stderr(small_index):
    _flip_byte(small_index / "signatures.npy", (small_index / "signatures.npy").stat().st_size // 2)
    r = subprocess.run([str(BIN / "auditor"), "index", "info", str(small_index), "--check"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2
    assert json.loads(r.stdout)["check"] == {"damaged": ["signatures.npy"]}
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("auditor: error: damaged index ")
    assert "signatures.npy does not match the size and sha256 in its manifest" in r.stderr


def test_nothing_in_an_index_can_run_code(small_index):
    """No pickle, no eval: an object array where a table should be is refused, not loaded."""
    np.save(small_index / "blob_ids.npy", np.array([{"__reduce__": "os.system"}], dtype=object), allow_pickle=True)
    with pytest.raises(AuditorError, match="blob_ids.npy"):
        Index(small_index, verify=False)
    sources = "\n".join(p.read_text() for p in (REPO / "auditor").rglob("*.py"))
    assert not re.search(r"^\s*import pickle|allow_pickle=True|\beval\(|\bexec\(|marshal\.loads", sources, re.M)


def test_readers_during_rebuilds_see_one_index_or_the_other(tmp_path):
    """A reader process opens and queries the index over and over while it is rebuilt from two
    corpora in turn: every open sees one whole index (its id, its tables, its files)."""
    a, b = GOLDEN / "corpus" / "six-1.16.0", REPO / "auditor" / "report"
    out = tmp_path / "idx"
    ids = {}
    for name, src in (("six", a), ("report", b)):
        api.build_index([str(src)], out, workers=1, show_progress=False, scan_headers=False)
        ids[Index(out).id] = name
    reader = subprocess.Popen([sys.executable, "-c", f"""
import sys, time
from auditor.index.reader import Index
from auditor.errors import AuditorError
seen, errors, t0 = {{}}, [], time.time()
while time.time() - t0 < 12:
    try:
        ix = Index({str(out)!r})
    except AuditorError as e:
        errors.append(str(e)); continue
    repos = {{ix.files_of(k)[0]["repo_name"] for k in range(len(ix.blob_ids))}}
    seen.setdefault(ix.id, set()).update(repos)
    ix.close()
print(repr(({{k: sorted(v) for k, v in seen.items()}}, errors)))
"""], stdout=subprocess.PIPE, text=True)
    rebuilds = 0
    deadline = time.time() + 10
    while time.time() < deadline:
        api.build_index([str(a if rebuilds % 2 else b)], out, workers=1, show_progress=False, scan_headers=False)
        rebuilds += 1
    seen, errors = eval(reader.communicate(timeout=120)[0])  # noqa: S307 - our own child's repr
    assert rebuilds >= 3 and errors == [], errors
    assert set(seen) <= set(ids) and len(seen) == 2, seen
    for index_id, repos in seen.items():  # each id only ever showed its own corpus's files
        assert len(repos) == 1 and (ids[index_id] == "six") == (repos == ["six-1.16.0"]), (index_id, repos)


def test_kill_9_during_a_build_keeps_the_old_index_and_the_rerun_cleans_up(small_index, tmp_path):
    old_id = Index(small_index).id
    big = tmp_path / "stdlib-part"
    import sysconfig

    shutil.copytree(Path(sysconfig.get_paths()["stdlib"]) / "email", big)
    proc = subprocess.Popen([str(BIN / "auditor"), "index", "build", str(big), "--out", str(small_index), "-q",
                             "-j", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(2000):  # until the builder has made its temporary directory
        if list(small_index.parent.glob(f".{small_index.name}.building-*-{proc.pid}-*")):
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert Index(small_index).id == old_id  # untouched
    left = list(small_index.parent.glob(f".{small_index.name}.building-*"))
    assert left, "the killed build left no temporary directory: it finished too early to test"
    r = _build(big, small_index)
    assert r.returncode == 0, r.stderr
    assert Index(small_index).id != old_id
    assert not list(small_index.parent.glob(f".{small_index.name}.*")), "stale build directories remain"


# -- bounded memory ------------------------------------------------------------------------

def _peak_rss_kb(args: list[str]) -> tuple[int, int, str]:
    code = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
            "print(r.stderr[-300:], file=sys.stderr)")
    p = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600)
    rc, kb = p.stdout.split()
    return int(rc), int(kb), p.stderr


@pytest.mark.parametrize("shape", ["one line", "many lines"])
def test_largest_snippet_traces_within_bounded_memory(small_index, tmp_path, shape):
    from auditor.matching.trace import MAX_SNIPPET_CHARS

    rng = np.random.default_rng(0)
    words = np.array(["x", "=", "foo", "(", ")", ";", "bar", "+", "1", "{", "}", "if", "return"])
    picked = words[rng.integers(0, len(words), MAX_SNIPPET_CHARS // 2)]
    text = (" ".join(picked) if shape == "one line" else
            "\n".join(" ".join(picked[i:i + 12]) for i in range(0, len(picked), 12)))[:MAX_SNIPPET_CHARS]
    assert len(text) == MAX_SNIPPET_CHARS
    f = tmp_path / "huge.c"
    f.write_text(text)
    rc, kb, err = _peak_rss_kb([str(BIN / "trace-snippet"), "-q", "--index", str(small_index), str(f)])
    assert rc == 0, err
    assert kb < 1_500_000, f"peak RSS {kb} KB"  # documented bound: 1.5 GB for a 2,000,000-character snippet
    f.write_text(text + "x" * 10)
    rc, kb, err = _peak_rss_kb([str(BIN / "trace-snippet"), "-q", "--index", str(small_index), str(f)])
    assert rc == 2 and "the limit is 2,000,000" in err


def test_reliability_doc_names_only_real_tests():
    doc = (REPO / "docs" / "reliability.md").read_text()
    named = set(re.findall(r"`(tests/test_\w+\.py)::(test_\w+)`", doc))
    assert len(named) >= 20
    for path, test in named:
        assert re.search(rf"^def {test}\(", (REPO / path).read_text(), re.M), f"{path}::{test} is not a test"
