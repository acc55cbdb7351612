"""Corpus readers against real files: a PyPI wheel, an installed package tarred up, hostile archives,
The Stack v1/v2 tables built from this environment's own source, a hub id offline, and the env itself."""
from __future__ import annotations

import gzip
import importlib.metadata
import io
import json
import os
from pathlib import Path
import platform
import stat
import subprocess
import sys
import tarfile
import tempfile
import types
import zipfile

import pytest

import auditor.corpus as corpus
from auditor.corpus import ReadStats, describe_source, iter_source, language_of, shard, validate_source
from auditor.corpus.archives import ArchiveLimits, archive_identity, iter_archive
from auditor.errors import AuditorError
from auditor.models import LicenseFinding, SourceFile, git_blob_sha1

CACHE = Path(os.environ.get("AUDITOR_TEST_CACHE", Path.home() / ".cache" / "auditor-tests"))


def real_sources(n: int = 12) -> list[Path]:
    """Real, non-empty Python files of the standard library."""
    import email
    import json as json_pkg

    files = sorted(Path(json_pkg.__file__).parent.glob("*.py")) + sorted(Path(email.__file__).parent.glob("*.py"))
    return [p for p in files if p.read_bytes().strip()][:n]


def assert_one_line(err: pytest.ExceptionInfo) -> str:
    msg = str(err.value)
    assert msg and "\n" not in msg
    return msg


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """Archives are extracted under tmp_path/t, so a test can see everything that was written."""
    t = tmp_path / "t"
    t.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(t))
    return t


# -- languages and sharding -------------------------------------------------------------------------


def test_language_of_uses_the_stack_names():
    assert language_of("a/b.py") == "Python"
    assert language_of("x.HPP") == "C++"
    assert language_of("main.c") == "C"
    assert language_of("App.cs") == "C#"
    assert language_of("run.sh") == "Shell"
    assert language_of("Makefile") == "Makefile"
    assert language_of("README.md") is None
    assert language_of("LICENSE") is None


def test_shard_takes_every_world_size_th_item():
    items = list(range(10))
    assert shard(items, 1, 3) == [1, 4, 7]
    assert list(shard(iter(items), 2, 3)) == [2, 5, 8]
    parts = [shard(items, r, 4) for r in range(4)]
    assert sorted(x for p in parts for x in p) == items
    with pytest.raises(AuditorError):
        shard(items, 3, 3)


# -- local trees ------------------------------------------------------------------------------------


def test_tree_reads_source_only_and_survives_non_utf8(tmp_path):
    repo = tmp_path / "myrepo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "a.py").write_text("def f():\n    return 1\n")
    (repo / "pkg" / "latin.py").write_bytes("# caf\xe9 cr\xe8me\nx = 'na\xefve'\n".encode("latin-1"))
    (repo / "bin.c").write_bytes(b"int x;\0\0\0")
    (repo / "big.py").write_text("x = 1\n" * 200_000)  # 1.2 MB: over the 1 MB cap
    (repo / "empty.py").write_text("\n")
    (repo / "notes.txt").write_text("not source")
    for skipped in (".git", "__pycache__"):
        (repo / skipped).mkdir()
        (repo / skipped / "hidden.py").write_text("x = 2\n")
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (repo / ".git" / "refs" / "heads").mkdir(parents=True)
    (repo / ".git" / "refs" / "heads" / "main").write_text("a" * 40 + "\n")
    (repo / "link.py").symlink_to(repo / "pkg" / "a.py")

    stats = ReadStats()
    files = {sf.path: sf for sf in iter_source(str(repo), stats=stats)}
    assert set(files) == {"pkg/a.py", "pkg/latin.py"}
    latin = files["pkg/latin.py"]
    assert "café crème" in latin.content
    assert latin.blob_id == SourceFile.blob_id_of(latin.content)
    a = files["pkg/a.py"]
    assert a.blob_id == git_blob_sha1((repo / "pkg" / "a.py").read_bytes())
    assert {sf.repo_name for sf in files.values()} == {"myrepo"}
    assert a.revision == "a" * 40 and a.language == "Python"
    assert stats.latin1 == 1
    assert stats.skipped == {"binary": 1, "over size cap": 1, "empty": 1, "symlink": 1}
    desc = describe_source(str(repo))
    assert desc["kind"] == "tree" and desc["name"] == "myrepo" and desc["revision"] == "a" * 40


def test_progress_reports_increments(tmp_path):
    for i in range(3):
        (tmp_path / f"m{i}.py").write_text(f"x = {i}\n")
    calls = []
    stats = ReadStats()
    out = list(iter_source(str(tmp_path), progress=lambda n, b: calls.append((n, b)), stats=stats))
    assert calls == [(1, len(sf.content.encode())) for sf in out]
    assert stats.files == 3 and stats.bytes == sum(b for _, b in calls)


def test_package_evidence_fills_findings(tmp_path, monkeypatch):
    """The tree reader asks auditor.licensing.package for each file's evidence (a stand-in module here)."""
    finding = LicenseFinding("MIT", "license-file", "LICENSE")
    asked = []

    class FakeEvidence:
        @classmethod
        def from_tree(cls, root, name):
            asked.append((Path(root), name))
            return cls()

        def findings_for(self, rel):
            return (finding,)

        def holders_for(self, rel):
            return ("Jane Doe",)

        def copyrights_for(self, rel):
            return (f"Copyright 2020 Jane Doe ({rel})",)

    fake = types.ModuleType("auditor.licensing.package")
    fake.PackageEvidence = FakeEvidence
    monkeypatch.setitem(sys.modules, "auditor.licensing.package", fake)
    repo = tmp_path / "proj"
    repo.mkdir()
    (repo / "m.py").write_text("x = 1\n")
    (sf,) = iter_source(str(repo))
    assert asked == [(repo.resolve(), "proj")]
    assert sf.license_findings == (finding,) and sf.holders == ("Jane Doe",)
    assert sf.copyrights == ("Copyright 2020 Jane Doe (m.py)",)


# -- archives ---------------------------------------------------------------------------------------


def six_wheel() -> Path:
    wheels = CACHE / "wheels"
    wheel = wheels / "six-1.16.0-py2.py3-none-any.whl"
    if not wheel.exists():
        wheels.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "six==1.16.0", "-d", str(wheels)]
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            pytest.skip("pip download six==1.16.0 timed out: no package registry reachable")
        if run.returncode != 0 or not wheel.exists():
            pytest.skip(f"no package registry reachable: {run.stderr.strip().splitlines()[-1:]}")
    return wheel


@pytest.mark.network
def test_wheel_is_a_pypi_repo_at_its_version(private_tmp):
    wheel = six_wheel()
    stats = ReadStats()
    files = list(iter_source(str(wheel), stats=stats))
    assert [sf.path for sf in files] == ["six.py"]
    (sf,) = files
    assert sf.repo_name == "pypi/six" and sf.revision == "1.16.0" and sf.language == "Python"
    with zipfile.ZipFile(wheel) as zf:
        assert sf.blob_id == git_blob_sha1(zf.read("six.py"))
    assert "Benjamin Peterson" in sf.content
    desc = describe_source(str(wheel))
    assert desc["name"] == "pypi/six" and desc["revision"] == "1.16.0" and len(desc["sha256"]) == 64
    validate_source(str(wheel))
    assert list(private_tmp.iterdir()) == []  # the extraction dir is gone


def test_tarball_of_installed_package(tmp_path, private_tmp):
    import platformdirs

    pkg = Path(platformdirs.__file__).parent
    version = importlib.metadata.version("platformdirs")
    top = f"platformdirs-{version}"
    tarball = tmp_path / f"{top}.tar.gz"
    with tarfile.open(tarball, "w:gz") as tf:
        tf.add(pkg, arcname=f"{top}/platformdirs", filter=lambda ti: None if "__pycache__" in ti.name else ti)
        for kind, name in ((tarfile.SYMTYPE, "sym.py"), (tarfile.LNKTYPE, "hard.py"), (tarfile.CHRTYPE, "dev.py")):
            ti = tarfile.TarInfo(f"{top}/{name}")
            ti.type = kind
            ti.linkname = "/etc/passwd" if kind != tarfile.LNKTYPE else f"{top}/platformdirs/api.py"
            tf.addfile(ti)
    stats = ReadStats()
    files = {sf.path: sf for sf in iter_source(str(tarball), stats=stats)}
    expected = {
        f"platformdirs/{p.name}": p for p in pkg.glob("*.py") if p.read_bytes().strip()
    }
    assert set(files) == set(expected)
    for rel, p in expected.items():
        assert files[rel].blob_id == git_blob_sha1(p.read_bytes())
        assert files[rel].repo_name == top and files[rel].revision is None
    assert stats.skipped.items() >= {"symlink": 1, "hard link": 1, "device or special file": 1}.items()
    assert list(private_tmp.iterdir()) == []
    assert archive_identity(tarball) == (top, None)


def test_tarball_made_from_dot(tmp_path, private_tmp):
    """`tar -C dir -czf x.tgz .` stores a "./" member and "./name" paths."""
    src = tmp_path / "src"
    (src / "lib").mkdir(parents=True)
    (src / "lib" / "m.py").write_text("x = 1\n")
    tarball = tmp_path / "proj.tgz"
    subprocess.run(["tar", "-C", str(src), "-czf", str(tarball), "."], check=True)
    (sf,) = iter_source(str(tarball))
    assert (sf.repo_name, sf.path) == ("proj", "lib/m.py")  # a lone lib/ is content, not a wrapper
    npm = tmp_path / "left-pad-1.3.0.tgz"
    with tarfile.open(npm, "w:gz") as tf:
        tf.add(src / "lib" / "m.py", arcname="package/index.js")
    (sf,) = iter_source(str(npm))
    assert (sf.repo_name, sf.path, sf.language) == ("left-pad-1.3.0", "index.js", "JavaScript")


def _zip(path: Path, members: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            zf.writestr(info, data)
    return path


def _nothing_named(root: Path, name: str) -> bool:
    return not any(p.name == name for p in root.rglob("*"))


@pytest.mark.parametrize("member", ["../evil.py", "../../evil.py", "ok/../../evil.py", "/abs/evil.py"])
def test_zip_escaping_members_are_refused(tmp_path, private_tmp, member):
    archive = _zip(tmp_path / "bad.zip", [("fine.py", b"x = 1\n"), (member, b"import os\n")])
    with pytest.raises(AuditorError) as err:
        list(iter_source(str(archive)))
    msg = assert_one_line(err)
    assert "refusing archive member" in msg and "evil.py" in msg
    assert _nothing_named(tmp_path, "evil.py") and _nothing_named(Path("/abs"), "evil.py")
    assert list(private_tmp.iterdir()) == []


def test_tar_escaping_member_is_refused(tmp_path, private_tmp):
    archive = tmp_path / "bad.tar"
    with tarfile.open(archive, "w") as tf:
        ti = tarfile.TarInfo("../evil.py")
        ti.size = 6
        tf.addfile(ti, io.BytesIO(b"x = 1\n"))
    with pytest.raises(AuditorError, match="escapes the archive"):
        list(iter_source(str(archive)))
    assert _nothing_named(tmp_path, "evil.py")


def test_zip_symlink_is_skipped_not_created(tmp_path, private_tmp):
    link = zipfile.ZipInfo("link.py")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = _zip(tmp_path / "links.zip", [("ok.py", b"x = 1\n"), (link, b"/etc/passwd")])
    stats = ReadStats()
    seen = []
    for sf in iter_archive(archive, stats=stats):
        seen.append(sf.path)
        assert not any(p.is_symlink() for p in private_tmp.rglob("*"))
    assert seen == ["ok.py"]
    assert stats.skipped == {"symlink": 1}


def test_zip_bomb_is_refused(tmp_path, private_tmp):
    archive = _zip(tmp_path / "bomb.zip", [("ok.py", b"x = 1\n"), ("bomb.py", b"\0" * 5_000_000)])
    assert archive.stat().st_size < 20_000
    with pytest.raises(AuditorError, match="archive bomb") as err:
        list(iter_archive(archive, stats=ReadStats(), limits=ArchiveLimits(max_total_bytes=1_000_000)))
    assert_one_line(err)
    many = _zip(tmp_path / "many.zip", [(f"m{i}.py", b"x\n") for i in range(20)])
    with pytest.raises(AuditorError, match="more than 10 members"):
        list(iter_archive(many, stats=ReadStats(), limits=ArchiveLimits(max_members=10)))
    assert list(private_tmp.iterdir()) == []


def test_corrupt_archives_fail_validation(tmp_path):
    for name in ("junk.zip", "junk.tar.gz", "junk.whl"):
        (tmp_path / name).write_bytes(b"not an archive at all" * 10)
        with pytest.raises(AuditorError) as err:
            validate_source(str(tmp_path / name))
        assert_one_line(err)
        with pytest.raises(AuditorError):
            list(iter_source(str(tmp_path / name)))


def test_missing_and_unknown_sources_fail(tmp_path):
    with pytest.raises(AuditorError, match="no such corpus source"):
        validate_source(str(tmp_path / "nope"))
    with pytest.raises(AuditorError, match="no such corpus source"):
        iter_source(str(tmp_path / "nope"))  # raised at the call, before iterating
    (tmp_path / "x.docx").write_bytes(b"PK")
    with pytest.raises(AuditorError, match="not a corpus this tool reads"):
        validate_source(str(tmp_path / "x.docx"))


# -- The Stack tables -------------------------------------------------------------------------------


def stack_rows(layout: str) -> tuple[dict[str, list], list[dict]]:
    """Columns of a small Stack table made of real stdlib files (two rows without content), and the expected files."""
    files = real_sources()
    cols: dict[str, list] = {}
    expected = []

    def add(**row):
        for k, v in row.items():
            cols.setdefault(k, []).append(v)

    for i, p in enumerate(files):
        content = p.read_text()
        path = f"Lib/{p.parent.name}/{p.name}"
        sha = git_blob_sha1(p.read_bytes())
        given = sha if i % 2 == 0 else None  # odd rows: the reader must compute it
        if layout == "v2":
            add(blob_id=given, repo_name="python/cpython", path=path, content=content, language="Python",
                detected_licenses=["python"], license_type="permissive", gha_license_id="NOASSERTION",
                revision_id=f"{i:040x}", extension="py")
        else:
            add(hexsha=given, max_stars_repo_name="python/cpython", max_stars_repo_path=path,
                max_stars_repo_licenses=["PSF-2.0"], max_stars_repo_head_hexsha=f"{i:040x}", content=content,
                lang="Python", size=len(content))
        expected.append({"blob_id": sha, "path": path, "revision": f"{i:040x}", "content": content})
    for content in ("", None):
        if layout == "v2":
            add(blob_id=None, repo_name="x/y", path="e.py", content=content, language="Python",
                detected_licenses=[], license_type="no_license", gha_license_id=None, revision_id=None, extension="py")
        else:
            add(hexsha=None, max_stars_repo_name="x/y", max_stars_repo_path="e.py", max_stars_repo_licenses=[],
                max_stars_repo_head_hexsha=None, content=content, lang="Python", size=0)
    return cols, expected


def write_table(kind: str, layout: str, tmp_path: Path) -> Path:
    cols, _ = stack_rows(layout)
    rows = [dict(zip(cols, vals)) for vals in zip(*cols.values())]
    if kind == "pyarrow.parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        out = tmp_path / f"{layout}.parquet"
        pq.write_table(pa.Table.from_pydict(cols), out, row_group_size=3)  # several batches
        return out
    if kind == "jsonl":
        out = tmp_path / f"{layout}.jsonl"
        out.write_text("".join(json.dumps(r) + "\n" for r in rows))
        return out
    if kind == "jsonl.gz":
        out = tmp_path / f"{layout}.jsonl.gz"
        with gzip.open(out, "wt") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in rows)
        return out
    if kind == "json":
        out = tmp_path / f"{layout}.json"
        out.write_text(json.dumps(rows))
        return out
    import datasets

    ds = datasets.Dataset.from_dict(cols)
    if kind == "datasets.to_parquet":
        out = tmp_path / f"{layout}-ds.parquet"
        ds.to_parquet(str(out))
        return out
    if kind == "save_to_disk":
        out = tmp_path / f"{layout}-saved"
        ds.save_to_disk(str(out))
        return out
    out = tmp_path / f"{layout}-dict"
    datasets.DatasetDict({"train": ds}).save_to_disk(str(out))
    return out


KINDS = ["pyarrow.parquet", "datasets.to_parquet", "jsonl", "jsonl.gz", "json", "save_to_disk", "DatasetDict"]


@pytest.mark.parametrize("layout", ["v2", "v1"])
@pytest.mark.parametrize("kind", KINDS)
def test_stack_tables(tmp_path, kind, layout):
    source = write_table(kind, layout, tmp_path)
    _, expected = stack_rows(layout)
    validate_source(str(source))
    stats = ReadStats()
    got = list(iter_source(str(source), stats=stats))
    assert [(sf.blob_id, sf.path, sf.revision, sf.content) for sf in got] == [
        (e["blob_id"], e["path"], e["revision"], e["content"]) for e in expected
    ]
    assert stats.skipped == {"row without content": 2} and stats.files == len(expected)
    for sf in got:
        assert sf.repo_name == "python/cpython" and sf.language == "Python"
        if layout == "v2":
            assert sf.detected_licenses == ("python",) and sf.license_type == "permissive"
            assert sf.gha_license_id == "NOASSERTION"
        else:
            assert sf.detected_licenses == ("PSF-2.0",) and sf.license_type is None
    desc = describe_source(str(source))
    json.dumps(desc)
    if kind in ("save_to_disk", "DatasetDict"):
        assert desc["kind"] == "dataset"
        assert {s["layout"] for s in desc["splits"].values()} == {f"stack-{layout}"}
    else:
        assert desc["layout"] == f"stack-{layout}" and len(desc["sha256"]) == 64


def test_table_without_content_names_its_columns(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path / "other.parquet"
    pq.write_table(pa.table({"id": [1], "text": ["x = 1"]}), out)
    for call in (lambda: validate_source(str(out)), lambda: list(iter_source(str(out)))):
        with pytest.raises(AuditorError) as err:
            call()
        assert "no 'content' column" in assert_one_line(err) and "columns: id, text" in str(err.value)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"content": "x = 1"}\nnot json\n')
    with pytest.raises(AuditorError, match=r"bad.jsonl:2: not a JSON line"):
        list(iter_source(str(bad)))


# -- hub ids ----------------------------------------------------------------------------------------


def test_hub_spec_parsing():
    from auditor.corpus.hub import HubSpec, parse_hub_spec

    assert parse_hub_spec("hf:bigcode/the-stack-smol") == HubSpec("bigcode/the-stack-smol", None, "train")
    assert parse_hub_spec("hf:bigcode/the-stack-v2:Python@test") == HubSpec("bigcode/the-stack-v2", "Python", "test")
    with pytest.raises(AuditorError, match="not a hub dataset id"):
        parse_hub_spec("hf:")
    desc = describe_source("hf:bigcode/the-stack-smol@train")
    assert desc == {"spec": "hf:bigcode/the-stack-smol@train", "kind": "hub", "name": "bigcode/the-stack-smol",
                    "config": None, "split": "train"}


def test_hub_offline_is_one_clear_line(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    for call in (lambda: validate_source("hf:bigcode/the-stack-smol"),
                 lambda: next(iter_source("hf:bigcode/the-stack-smol"))):
        with pytest.raises(AuditorError) as err:
            call()
        msg = assert_one_line(err)
        assert msg.startswith("cannot reach the Hugging Face hub for bigcode/the-stack-smol: ")
        assert msg.endswith("(offline?)")


def test_hub_offline_through_datasets_itself():
    """The load_dataset path too: datasets' own offline error becomes the same one line."""
    code = (
        "import auditor.corpus.hub as hub\n"
        "from auditor.errors import AuditorError\n"
        "hub.offline_reason = lambda: None  # skip our early check: let datasets meet the offline hub\n"
        "try:\n"
        "    next(hub.iter_hub('hf:bigcode/the-stack-smol', stats=None))\n"
        "except AuditorError as e:\n"
        "    print(e)\n"
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    assert len(lines) == 1, run.stdout
    assert lines[0].startswith("cannot reach the Hugging Face hub for bigcode/the-stack-smol: ")
    assert lines[0].endswith("(offline?)")


# -- the running environment ------------------------------------------------------------------------


def test_env_yields_stdlib_then_distributions():
    stdlib, dist_file = [], None
    for sf in iter_source("env"):
        if sf.repo_name != "python-stdlib":
            dist_file = sf
            break
        stdlib.append(sf)
    paths = {sf.path for sf in stdlib}
    assert {"json/__init__.py", "os.py", "email/message.py"} <= paths
    assert not any(p.startswith(("test/", "site-packages/")) or "/tests/" in p for p in paths)
    assert {sf.revision for sf in stdlib} == {platform.python_version()}
    json_init = next(sf for sf in stdlib if sf.path == "json/__init__.py")
    import json as json_pkg

    assert json_init.blob_id == git_blob_sha1(Path(json_pkg.__file__).read_bytes())

    assert dist_file is not None and dist_file.repo_name.startswith("pypi/")
    name = dist_file.repo_name.removeprefix("pypi/")
    assert dist_file.revision == importlib.metadata.version(name)
    assert dist_file.blob_id == SourceFile.blob_id_of(dist_file.content)


def test_env_description_and_fingerprint():
    desc = describe_source("env")
    json.dumps(desc)
    assert desc["kind"] == "env" and desc["python"] == platform.python_version()
    assert desc["distributions"] >= 10
    fp = corpus.env_fingerprint()
    assert len(fp) == 16 and int(fp, 16) >= 0 and fp == desc["fingerprint"]
    n_files, n_bytes = corpus.count_env_files()
    assert n_files > 500 and n_bytes > 5_000_000
    validate_source("env")
