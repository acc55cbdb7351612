"""The command line as a user runs it: real processes, exit codes, one-line errors, pipes."""
from __future__ import annotations

import json
import os
from pathlib import Path
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from conftest import REPO, STDLIB

BIN = Path(sys.executable).parent


def run(args: list[str], stdin: str | bytes | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run(args, input=data, capture_output=True, env={**os.environ, **(env or {})}, timeout=600)


def one_line_error(r: subprocess.CompletedProcess) -> str:
    err = r.stderr.decode().strip()
    assert r.returncode == 2, (r.returncode, err)
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def decoder_chunk() -> str:
    return "\n".join((STDLIB / "json" / "decoder.py").read_text().splitlines()[68:96])


def test_trace_snippet_json_from_stdin(stdlib_index):
    r = run([str(BIN / "trace-snippet"), "--index", str(stdlib_index), "--format", "json", "-"], decoder_chunk())
    assert r.returncode == 0, r.stderr.decode()
    d = json.loads(r.stdout)
    assert d["schema"] == "auditor.trace/2" and d["verdict"] == "verbatim"
    m = d["matches"][0]
    assert m["source"]["path"] == "json/decoder.py" and m["source"]["swhid"].startswith("swh:1:cnt:")
    assert set(d["snippet"]) >= {"sha1", "swhid", "lines", "tokens", "language"}
    assert set(d["attribution"]) >= {"required", "present_in_snippet", "notice"}
    assert set(d["index"]) >= {"id", "config", "files", "windows"}
    assert m["snippet_lines"][0] == 1 and m["source_lines"][0] == 69


@pytest.mark.parametrize("fmt,needle", [("text", "Verdict: VERBATIM"), ("markdown", "# auditor trace: verbatim")])
def test_trace_formats_are_plain_and_pipeable(stdlib_index, tmp_path, fmt, needle):
    f = tmp_path / "snippet.py"
    f.write_text(decoder_chunk())
    r = run([str(BIN / "auditor"), "trace", str(f), "--index", str(stdlib_index), "-f", fmt])
    out = r.stdout.decode()
    assert r.returncode == 0 and needle in out and "\x1b[" not in out
    assert "json/decoder.py" in out and "notice" in out.lower()


def test_no_match_exits_zero(stdlib_index):
    code = "fn main() {\n    let v: Vec<u32> = (0..10).map(|x| x * x).filter(|x| x % 3 == 1).collect();\n" \
           "    println!(\"{:?} {}\", v, v.iter().sum::<u32>());\n}\n"
    r = run([str(BIN / "trace-snippet"), "--index", str(stdlib_index), "-f", "json"], code)
    assert r.returncode == 0 and json.loads(r.stdout)["verdict"] == "none"


@pytest.mark.parametrize("payload,needle", [
    (b"", "empty"),
    (b"\x7fELF\x02\x01\x01\x00\x00\x00", "binary"),
    ("def f():\n    return 'caf\xe9'\n".encode("latin-1"), "not UTF-8"),
])
def test_bad_snippet_input(stdlib_index, tmp_path, payload, needle):
    f = tmp_path / "input"
    f.write_bytes(payload)
    assert needle in one_line_error(run([str(BIN / "trace-snippet"), str(f), "--index", str(stdlib_index)]))


def test_missing_and_corrupt_index(tmp_path):
    assert "no index" in one_line_error(run([str(BIN / "trace-snippet"), "--index", str(tmp_path / "x")], "x = 1\n"))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "manifest.json").write_text("garbage")
    assert "corrupt" in one_line_error(run([str(BIN / "trace-snippet"), "--index", str(bad)], "x = 1\n"))


def test_missing_snippet_file(stdlib_index, tmp_path):
    err = one_line_error(run([str(BIN / "trace-snippet"), str(tmp_path / "nope.py"), "--index", str(stdlib_index)]))
    assert "nope.py" in err


def test_index_build_and_info(stdlib_dir, tmp_path):
    out = tmp_path / "idx"
    r = run([str(BIN / "auditor"), "index", "build", str(stdlib_dir / "json"), "--out", str(out), "-q", "-j", "1"])
    assert r.returncode == 0, r.stderr.decode()
    ident = r.stdout.decode().split("\t")[0]
    info = run([str(BIN / "auditor"), "index", "info", str(out), "--check"])
    d = json.loads(info.stdout)
    assert d["id"] == ident and d["check"] == "ok" and d["counts"]["files"] >= 4
    assert "no such corpus source" in one_line_error(
        run([str(BIN / "auditor"), "index", "build", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]))
    assert not (tmp_path / "o").exists()


def test_audit_writes_results(stdlib_index, tmp_path):
    queries = tmp_path / "gen.jsonl"
    rows = [{"task": "a", "code": decoder_chunk()}, {"task": "b", "code": "print('hello')\n"},
            {"task": "c", "code": ""}]
    queries.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "out"
    r = run([str(BIN / "auditor"), "audit", str(queries), "--index", str(stdlib_index), "--out", str(out),
             "--id-column", "task", "--text-column", "code", "-q"])
    assert r.returncode == 0, r.stderr.decode()
    assert json.loads(r.stdout) == {"out": str(out), "inputs": 3, "errors": 1, "matched": 1}
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert [x["id"] for x in lines] == ["a", "b", "c"]
    assert lines[0]["verdict"] == "verbatim" and lines[1]["verdict"] == "none" and "empty" in lines[2]["error"]
    table = pq.read_table(out / "results.parquet").to_pylist()
    assert table[0]["path"] == "json/decoder.py" and table[0]["verdict"] == "verbatim"
    # the same output directory with other options is refused, not mixed
    assert "holds an audit of other inputs or options" in one_line_error(
        run([str(BIN / "auditor"), "audit", str(queries), "--index", str(stdlib_index), "--out", str(out),
             "--id-column", "task", "--text-column", "code", "-k", "2"]))
    assert "no column 'id', 'text'" in one_line_error(
        run([str(BIN / "auditor"), "audit", str(queries), "--index", str(stdlib_index), "--out", str(tmp_path / "o2")]))


def test_python_dash_m_and_help():
    r = run([sys.executable, "-m", "auditor", "--help"])
    assert r.returncode == 0
    for cmd in ("trace", "index", "audit"):
        assert cmd in r.stdout.decode()
    for args in (["auditor", "index", "build", "--help"], ["auditor", "audit", "--help"], ["trace-snippet", "--help"]):
        h = run([str(BIN / args[0]), *args[1:]])
        assert h.returncode == 0 and len(h.stdout.decode()) > 300


def test_readme_documents_every_command_and_ci_runs_its_test_command():
    readme = (REPO / "README.md").read_text()
    for cmd in ("trace-snippet", "auditor index build", "auditor index info", "auditor index env", "auditor audit",
                "auditor.trace/2", "auditor verify", "auditor review", "auditor membership", "--project-license", "auditor index push", "--executor ray"):
        assert cmd in readme, cmd
    ci = (REPO / ".ci" / "run").read_text()
    test_cmd = [ln for ln in ci.splitlines() if "pytest" in ln and not ln.startswith("#")][0].strip()
    assert test_cmd in readme


def test_import_is_light():
    code = "import sys, auditor, auditor.api; print(any(m in sys.modules for m in ('scancode', 'datasets', 'datasketch', 'scipy')))"
    r = run([sys.executable, "-c", code])
    assert r.stdout.decode().strip() == "False"


def test_query_path_imports_no_heavy_library(stdlib_index):
    """A cold trace must not pay for ScanCode, datasets, datasketch/scipy or pyarrow."""
    code = ("import sys; from auditor import api; "
            f"r = api.trace_snippet(open({str(STDLIB / 'json' / 'decoder.py')!r}).read()[2500:4000], {str(stdlib_index)!r}); "
            "heavy = [m for m in ('scancode', 'licensedcode', 'datasets', 'datasketch', 'scipy', 'pyarrow', 'pandas', 'numba') "
            "if m in sys.modules]; print(r.verdict, heavy)")
    r = run([sys.executable, "-c", code])
    assert r.returncode == 0, r.stderr.decode()
    verdict, heavy = r.stdout.decode().strip().split(" ", 1)
    assert verdict == "verbatim" and heavy == "[]", r.stdout.decode()


def test_usage_errors_are_one_line(stdlib_index):
    assert "--format" in one_line_error(run([str(BIN / "trace-snippet"), "--format", "xml", "--index", str(stdlib_index)], "x"))
    assert "No such command" in one_line_error(run([str(BIN / "auditor"), "frobnicate"]))


def test_text_report_cannot_carry_terminal_escapes(stdlib_index):
    evil = decoder_chunk().replace("chunks = []", "chunks = []  # \x1b[2J\x1b]0;owned\x07 \u202e")
    r = run([str(BIN / "trace-snippet"), "--index", str(stdlib_index)], evil)
    out = r.stdout.decode()
    assert r.returncode == 0 and "json/decoder.py" in out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
