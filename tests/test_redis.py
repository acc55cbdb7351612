"""An index served from a real redis-server on loopback answers like the directory it was
pushed from. ``.ci/run`` installs redis-server (apt) and sets AUDITOR_REQUIRE_REDIS=1, so
there a missing server fails the test; elsewhere it is skipped with the reason."""
from __future__ import annotations

import json
import os
from pathlib import Path
import shutil
import socket
import subprocess
import sys
import time

import pytest

from auditor import api
from auditor.errors import AuditorError

from conftest import STDLIB

BIN = Path(sys.executable).parent
PASSWORD = "s3cret-pw-9"
GOLDEN = Path(__file__).parent / "data" / "golden"


def _unavailable(reason: str):
    if os.environ.get("AUDITOR_REQUIRE_REDIS") == "1":
        pytest.fail(f"{reason} (AUDITOR_REQUIRE_REDIS=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    server = shutil.which("redis-server")
    if not server:
        _unavailable("redis-server is not installed (apt-get install redis-server)")
    try:
        import redis  # noqa: F401
    except ImportError:
        _unavailable("the redis client is not installed (pip install -e '.[test]')")
    with socket.socket() as s:  # a free loopback port
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    work = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(work), "--requirepass", PASSWORD],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://:{PASSWORD}@127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def _comparable(d: dict) -> dict:
    d = json.loads(json.dumps(d))
    d["index"].pop("path")
    d.pop("reproduce")
    return d


def test_redis_index_answers_like_the_directory(stdlib_index, redis_url):
    from auditor.report.json_report import trace_dict

    r = subprocess.run([str(BIN / "auditor"), "index", "push", str(stdlib_index), redis_url, "-q"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    disk = api.open_index(stdlib_index, show_progress=False)
    served = api.open_index(redis_url, show_progress=False)
    assert served.id == disk.id == r.stdout.split("\t")[0]
    snippets = [(GOLDEN / "snippets" / "original.py").read_text()]
    for name in ("json/decoder.py", "textwrap.py", "shlex.py", "email/utils.py"):
        lines = (STDLIB / name).read_text().splitlines()
        snippets += ["\n".join(lines[k:k + 20]) for k in range(40, min(len(lines), 400), 90)]
    matched = 0
    for text in snippets:
        a, b = trace_dict(api.trace_snippet(text, disk)), trace_dict(api.trace_snippet(text, served))
        assert _comparable(a) == _comparable(b)
        assert b["index"]["manifest_sha256"] == a["index"]["manifest_sha256"]
        matched += a["verdict"] != "none"
    assert matched >= 10, matched
    cli = subprocess.run([str(BIN / "trace-snippet"), "--index", redis_url, "-f", "json", "-q"], input=snippets[1],
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0 and json.loads(cli.stdout)["index"]["path"] == redis_url.replace(f":{PASSWORD}@", "")
    for fmt in ("text", "markdown", "json", "html"):  # reports are pasted into mail: no password in them
        assert PASSWORD not in api.render(api.trace_snippet(snippets[1], served), fmt)


def test_a_report_on_a_redis_index_verifies(stdlib_index, redis_url, tmp_path):
    api.push_index(stdlib_index, redis_url, show_progress=False)
    text = "\n".join((STDLIB / "json" / "decoder.py").read_text().splitlines()[60:90])
    report = tmp_path / "report.json"
    report.write_text(api.render(api.trace_snippet(text, redis_url), "json"))
    # the report names the server without its password; a report's URL is never followed unasked
    r = subprocess.run([str(BIN / "auditor"), "verify", str(report)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "pass --index URL" in r.stderr and PASSWORD not in r.stderr
    r = subprocess.run([str(BIN / "auditor"), "verify", str(report), "--index", redis_url], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and "CONFIRMED" in r.stdout and PASSWORD not in r.stdout, r.stdout + r.stderr


def test_unreachable_redis_and_missing_index_are_one_line(redis_url):
    with pytest.raises(AuditorError, match="cannot reach Redis"):
        api.open_index("redis://127.0.0.1:1/0", show_progress=False)
    with pytest.raises(AuditorError, match="no auditor index idx-nope") as e:
        api.open_index(redis_url + "?index=idx-nope", show_progress=False)
    assert PASSWORD not in str(e.value)


def test_an_index_pushed_in_an_older_format_is_refused_in_one_line(stdlib_index, redis_url):
    """An index pushed by an auditor of index format 1 (no per-blob ASCII and language tables)
    is refused with what to do, not met with a missing table in the middle of a trace."""
    import redis

    from auditor.index.redis_store import push

    index_id = push(stdlib_index, redis_url, show_progress=False)
    client = redis.Redis.from_url(redis_url)
    manifest = json.loads(client.get(f"auditor:{index_id}:manifest"))
    layout = json.loads(client.get(f"auditor:{index_id}:layout"))
    manifest["schema"] = "auditor.index/1"
    for name in ("blob_ascii", "blob_languages"):
        del layout["arrays"][name]
    client.set(f"auditor:{index_id}:manifest", json.dumps(manifest))
    client.set(f"auditor:{index_id}:layout", json.dumps(layout))
    try:
        with pytest.raises(AuditorError, match="has schema 'auditor.index/1'.*rebuild it and push it again"):
            api.open_index(f"{redis_url}?index={index_id}", show_progress=False)
    finally:
        push(stdlib_index, redis_url, show_progress=False)  # as the other tests expect it
