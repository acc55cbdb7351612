"""The small version of the accuracy benchmark (benchmarks/accuracy/run.py --small) runs end to
end: real packages fetched through the registries (skipped offline), every peer method on the
same cases, a JSON, a Markdown table and a plot. It also checks auditor's behaviour on it."""
from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(1200)
def test_small_accuracy_benchmark(tmp_path):
    r = subprocess.run([sys.executable, str(REPO / "benchmarks" / "accuracy" / "run.py"), "--small",
                        "--out", str(tmp_path)], capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stderr[-2000:]
    if r.stdout.startswith("accuracy: skipped"):
        pytest.skip(r.stdout.strip())
    doc = json.loads((tmp_path / "accuracy_small.json").read_text())
    assert (tmp_path / "accuracy_small.png").stat().st_size > 10_000
    assert "| auditor |" in (tmp_path / "accuracy_small.md").read_text()
    packages = doc["results"]["packages"]
    assert set(packages) == {"auditor", "copilot-exact-150", "dataportraits-50", "bm25-files", "winnowing-k23-w17",
                             "minhash-lsh-files", "licoeval-striking"}
    auditor = packages["auditor"]["tables"]
    # Verbatim and reformatted copies are found, unseen code is not attributed.
    assert auditor["by_type"]["type1"]["recall@1"] >= 0.8
    assert auditor["by_type"]["type4"]["recall@1"] >= 0.8
    assert auditor["negatives"]["unseen"]["false_attribution"] <= 0.1
    assert auditor["all"]["licence_correct"] >= 0.8
    if "starcoder2-15b" in doc["results"]:
        sc2 = doc["results"]["starcoder2-15b"]["auditor"]["tables"]
        assert sc2["by_type"]["type1"]["recall@1"] >= 0.7
