"""Batch audits: inputs in JSONL, CSV and parquet, per-model summaries that agree with the results
table, several workers, and a run killed with SIGKILL that finishes on rerun with the same results
and no duplicates. Generations are pieces of real standard-library modules (some indexed, some not)."""
from __future__ import annotations

import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from conftest import STDLIB

BIN = Path(sys.executable).parent


def generations(stdlib_dir: Path, n: int) -> list[dict]:
    """``n`` generations: 20-line pieces of indexed modules (json, textwrap, shlex, difflib) and of
    modules that are not indexed (tokenize, calendar), tagged with two made-up model names."""
    sources = [stdlib_dir / "json" / "decoder.py", stdlib_dir / "textwrap.py", stdlib_dir / "shlex.py",
               stdlib_dir / "difflib.py", STDLIB / "tokenize.py", STDLIB / "calendar.py"]
    texts = [p.read_text().splitlines() for p in sources]
    rows = []
    for i in range(n):
        lines = texts[i % len(texts)]
        start = 40 + (i * 7) % max(1, len(lines) - 80)
        rows.append({"gen_id": f"g{i:04d}", "model": "model-a" if i % 3 else "model-b",
                     "code": "\n".join(lines[start: start + 20]) + "\n"})
    rows.append({"gen_id": "empty", "model": "model-a", "code": ""})
    return rows


def audit(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "auditor"), "audit", *args, "-q"], capture_output=True, text=True, **kw)


def test_summary_agrees_with_the_results_table(stdlib_index, stdlib_dir, tmp_path):
    rows = generations(stdlib_dir, 60)
    src = tmp_path / "gen.csv"
    pcsv.write_csv(pa.Table.from_pylist(rows), src)
    out = tmp_path / "out"
    r = audit([str(src), "--index", str(stdlib_index), "-o", str(out), "--id-column", "gen_id", "--text-column",
               "code", "--model-column", "model", "-j", "2"])
    assert r.returncode == 0, r.stderr
    counts = json.loads(r.stdout)
    table = pq.read_table(out / "results.parquet").to_pylist()
    summary = json.loads((out / "summary.json").read_text())
    best = {}
    for t in table:  # the rank-1 row of each generation
        if t["row"] not in best or t["rank"] == 1:
            best[t["row"]] = t
    assert len(best) == len(rows) == summary["outputs"] == counts["inputs"]
    matched = [t for t in best.values() if t["verdict"] not in (None, "none") and not t["error"]]
    assert summary["matched"] == len(matched) == counts["matched"] > 0
    assert summary["errors"] == 1 and best[len(rows) - 1]["error"]
    assert sum(summary["by_verdict"].values()) == len(rows) - 1
    categories = summary["by_license_category"]
    assert sum(v["count"] for v in categories.values()) == len(matched)
    for category, v in categories.items():
        assert v["count"] == sum(1 for t in matched if (t["license_category"] or "unknown") == category)
    assert summary["top_repositories"][0]["outputs"] == len(matched)  # one indexed repository
    for model in ("model-a", "model-b"):
        mine = [t for t in best.values() if t["model"] == model]
        assert summary["by_model"][model]["outputs"] == len(mine)
        assert summary["by_model"][model]["matched"] == sum(1 for t in mine if t in matched)
    missing = sum(1 for t in matched if t["attribution_required"] and t["attribution_present"] is False)
    assert summary["attribution_missing"] == missing
    assert summary["attribution_missing_license_unknown"] == sum(
        1 for t in matched if t["attribution_required"] and t["attribution_present"] is False
        and (t["license_category"] or "unknown") == "unknown")
    # unindexed modules are not attributed; indexed pieces are found
    by_id = {t["id"]: t for t in best.values()}
    assert by_id["g0000"]["path"] == "json/decoder.py" and by_id["g0004"]["verdict"] == "none"
    md = (out / "summary.md").read_text()
    for png in ("by_license_category.png", "by_model.png", "similarity.png", "top_repositories.png"):
        assert (out / "plots" / png).stat().st_size > 5000 and f"(plots/{png})" in md
    assert f"| model-a | {summary['by_model']['model-a']['outputs']} |" in md
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert [x["id"] for x in results] == [r["gen_id"] for r in rows]


def test_a_killed_audit_finishes_on_rerun_with_the_same_results(stdlib_index, stdlib_dir, tmp_path):
    rows = generations(stdlib_dir, 400)
    src = tmp_path / "gen.parquet"
    pq.write_table(pa.Table.from_pylist(rows), src)
    args = [str(src), "--index", str(stdlib_index), "--id-column", "gen_id", "--text-column", "code", "-j", "2"]
    clean = tmp_path / "clean"
    assert audit(args + ["-o", str(clean)]).returncode == 0

    out = tmp_path / "killed"
    proc = subprocess.Popen([str(BIN / "auditor"), "audit", *args, "-o", str(out), "-q"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not list((out / ".audit").glob("part-*.jsonl")):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the parent and its workers, mid-run
    proc.wait()
    assert not (out / "results.parquet").exists() or (out / "results.jsonl").exists()
    finished = len(list((out / ".audit").glob("part-*.jsonl")))
    assert audit(args + ["-o", str(out)]).returncode == 0
    a = (clean / "results.jsonl").read_text().splitlines()
    b = (out / "results.jsonl").read_text().splitlines()
    assert len(b) == len(rows) and len({json.loads(x)["id"] for x in b}) == len(rows)  # no duplicates, none lost
    assert a == b
    assert pq.read_table(clean / "results.parquet").equals(pq.read_table(out / "results.parquet"))
    assert json.loads((clean / "summary.json").read_text()) == json.loads((out / "summary.json").read_text())
    assert finished < len(list((out / ".audit").glob("part-*.jsonl")))  # the rerun did only what was missing


def test_parts_written_by_an_earlier_version_are_merged_the_same(stdlib_index, stdlib_dir, tmp_path):
    """A shard's part holds each result as the JSON line results.jsonl copies; parts of an audit
    begun by an earlier version hold it as an object, and a rerun merges them to the same lines."""
    rows = generations(stdlib_dir, 80)
    src = tmp_path / "gen.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out"
    args = [str(src), "--index", str(stdlib_index), "-o", str(out), "--id-column", "gen_id", "--text-column", "code"]
    assert audit(args).returncode == 0
    before = (out / "results.jsonl").read_text()
    parts = sorted((out / ".audit").glob("part-*.jsonl"))
    assert len(parts) == 2 and all(isinstance(json.loads(line)["result"], str)
                                   for p in parts for line in p.read_text().splitlines())
    for p in parts:  # as the earlier version wrote them
        lines = [json.loads(line) for line in p.read_text().splitlines()]
        p.write_text("".join(json.dumps({"result": json.loads(r["result"]), "flat": r["flat"]}, ensure_ascii=False)
                             + "\n" for r in lines))
    os.remove(out / "results.jsonl")
    assert audit(args).returncode == 0
    assert (out / "results.jsonl").read_text() == before


def test_copies_already_in_the_prompt_are_counted_apart(stdlib_index, stdlib_dir, tmp_path):
    rows = generations(stdlib_dir, 24)
    for i, r in enumerate(rows):  # every fourth prompt holds the very code the model then "wrote"
        r["prompt"] = ("# complete this\n" + r["code"]) if i % 4 == 0 else "# write a JSON decoder\n"
    src = tmp_path / "gen.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out"
    r = audit([str(src), "--index", str(stdlib_index), "-o", str(out), "--id-column", "gen_id", "--text-column",
               "code", "--prompt-column", "prompt", "-j", "1"])
    assert r.returncode == 0, r.stderr
    table = [t for t in pq.read_table(out / "results.parquet").to_pylist() if t["rank"] in (1, None)]
    summary = json.loads((out / "summary.json").read_text())
    echoed = [t for t in table if t["verdict"] not in (None, "none") and t["in_prompt"]]
    assert echoed and all(t["row"] % 4 == 0 for t in echoed)
    assert summary["in_prompt"] == len(echoed)
    assert summary["matched"] == sum(1 for t in table if t["verdict"] not in (None, "none") and not t["in_prompt"]
                                     and not t["error"])


def test_licence_answers_are_read_like_licence_lines():
    from auditor.audit import answer_names

    assert answer_names("MIT", "MIT")
    assert answer_names("This code is under the GNU General Public License version 3", "GPL-3.0-or-later")
    assert answer_names("GPLv2", "GPL-2.0-only")
    assert answer_names("Apache License 2.0", "Apache-2.0")
    assert not answer_names("MIT License", "GPL-3.0-only")
    assert not answer_names("I don't know", "BSD-3-Clause")
    assert answer_names("MIT", None) is None


def test_generations_from_a_saved_dataset_and_a_clear_error_for_the_hub_offline(stdlib_index, stdlib_dir, tmp_path):
    import datasets

    rows = generations(stdlib_dir, 10)
    saved = tmp_path / "saved"
    datasets.Dataset.from_list(rows).save_to_disk(str(saved))
    out = tmp_path / "out"
    r = audit([str(saved), "--index", str(stdlib_index), "-o", str(out), "--id-column", "gen_id", "--text-column",
               "code", "--model-column", "model"])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["inputs"] == len(rows)
    assert [json.loads(x)["id"] for x in (out / "results.jsonl").read_text().splitlines()] == [r["gen_id"] for r in rows]
    offline = audit(["hf:someone/generations", "--index", str(stdlib_index), "-o", str(tmp_path / "hub")],
                    env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert offline.returncode == 2 and "offline" in offline.stderr and "Traceback" not in offline.stderr
    assert len(offline.stderr.strip().splitlines()) == 1
    missing = audit([str(tmp_path / "nope.jsonl"), "--index", str(stdlib_index), "-o", str(tmp_path / "x")])
    assert missing.returncode == 2 and "no queries file" in missing.stderr
