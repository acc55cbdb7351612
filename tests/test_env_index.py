"""The embedded default: the running environment indexed on first use, then a renamed
20-line function from an installed package traced to its file, licence and holders."""
from __future__ import annotations

import inspect
import json
import os
from pathlib import Path
import re
import subprocess
import sys

import pytest

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def env_cache(tmp_path_factory) -> dict:
    """A cache dir for the env index: CI's AUDITOR_CACHE_DIR (built once per run) or a temp one."""
    cache = os.environ.get("AUDITOR_CACHE_DIR") or str(tmp_path_factory.mktemp("cache"))
    return {**os.environ, "AUDITOR_CACHE_DIR": cache}


def renamed_interpret_color() -> str:
    import click.termui

    src = inspect.getsource(click.termui._interpret_color)
    for old, new in {"_interpret_color": "ansi_code_for", "color": "shade", "offset": "base", "c": "part",
                     "r": "red", "g": "green", "b": "blue"}.items():
        src = re.sub(rf"\b{old}\b", new, src)
    return src


def test_env_index_builds_on_first_use_and_is_reused(env_cache):
    first = subprocess.run([str(BIN / "auditor"), "index", "env"], capture_output=True, text=True, env=env_cache,
                           timeout=1200)
    assert first.returncode == 0, first.stderr[-2000:]
    path = Path(first.stdout.strip())
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["sources"][0]["kind"] == "env" and manifest["counts"]["files"] > 1000
    again = subprocess.run([str(BIN / "auditor"), "index", "env"], capture_output=True, text=True, env=env_cache,
                           timeout=120)
    assert again.stdout.strip() == str(path) and "indexing" not in again.stderr


def test_renamed_function_from_installed_package_is_traced(env_cache):
    snippet = renamed_interpret_color()
    assert 18 <= len(snippet.splitlines()) <= 30 and "_interpret_color" not in snippet
    r = subprocess.run([str(BIN / "trace-snippet"), "-f", "json", "-q"], input=snippet, capture_output=True, text=True,
                       env=env_cache, timeout=1200)
    assert r.returncode == 0, r.stderr[-2000:]
    d = json.loads(r.stdout)
    top = d["matches"][0]
    assert top["verdict"] in ("verbatim", "near-verbatim")
    src = top["source"]
    assert src["repo_name"] == "pypi/click" and src["path"] == "click/termui.py"
    assert src["license"] == "BSD-3-Clause" and src["license_category"] == "permissive"
    assert any("Pallets" in h for h in src["holders"]), src["holders"]
    assert d["attribution"]["required"] is True and d["attribution"]["present_in_snippet"] is False
    assert "click/termui.py" in d["attribution"]["notice"] and "BSD-3-Clause" in d["attribution"]["notice"]
    text = subprocess.run([str(BIN / "trace-snippet"), "-q"], input=snippet, capture_output=True, text=True,
                          env=env_cache, timeout=600).stdout
    assert "click/termui.py" in text and "BSD-3-Clause" in text and "notice that should accompany" in text.lower()
