"""The small slice of the scaling benchmark runs end to end: the corpus recipe fetches its two
small packages through the registries (skipped offline), then ``benchmarks/scaling.py`` builds an
index, traces, audits and fills datasketch's MinHashLSH with the same windows. Behaviour only:
no wall-clock figure is checked."""
from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(900)
def test_small_scaling_run(tmp_path):
    corpus = tmp_path / "corpus-small.parquet"
    r = subprocess.run([sys.executable, str(REPO / "benchmarks" / "scaling_corpus.py"), "--small", "--out", str(corpus)],
                       capture_output=True, text=True, timeout=900)
    if r.returncode == 2:
        pytest.skip(f"scaling corpus not fetchable here: {r.stderr.strip()[-300:]}")
    assert r.returncode == 0, r.stderr[-2000:]
    table = pq.read_table(corpus)
    assert table.num_rows > 100 and {"blob_id", "repo_name", "path", "content", "language",
                                     "detected_licenses", "license_type"} <= set(table.column_names)
    assert len(set(table.column("language").to_pylist())) >= 2  # a mixed slice, not one language

    out = tmp_path / "scaling.json"
    r = subprocess.run([sys.executable, str(REPO / "benchmarks" / "scaling.py"), "--corpus", str(corpus),
                        "--sizes", "3000", "--queries", "12", "--cold-runs", "1", "--json", str(out)],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    doc = json.loads(out.read_text())
    (row,) = doc["results"]
    ours, theirs = row["auditor"], row["datasketch"]
    assert 2000 <= ours["windows"] <= 10000 and ours["index_bytes"] > 0
    # the verbatim and renamed pieces of indexed files are traced back; the audit covered every piece
    assert ours["matched"]["verbatim"] >= 0.8 * ours["queries"]["verbatim"]
    assert ours["audit_rows"] == ours["audit_snippets"]
    assert theirs["windows"] == ours["windows"] and theirs["pickle_bytes"] > 0
    assert "| auditor |" in r.stdout and "| datasketch MinHashLSH |" in r.stdout
