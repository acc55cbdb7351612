"""What a batch audit found, from its flat results: ``summary.json``, ``summary.md`` and plots.

Every figure is computed from the rows of ``results.parquet`` (one per generation and match), so
a reader can check each one with a query over that table. A generation counts by its rank-1
match: its verdict, licence, category and source repository.
"""
from __future__ import annotations

from collections import Counter
import json
from pathlib import Path

from ..atomic import atomic_file

SCHEMA = "auditor.audit-summary/1"
VERDICTS = ("verbatim", "near-verbatim", "similar", "none")
COPYLEFT = ("weak-copyleft", "strong-copyleft", "network-copyleft")
TOP_REPOS = 10


def per_output(flat: list[dict]) -> list[dict]:
    """One row per generation: its rank-1 row (or its only row), in input order."""
    out: dict[int, dict] = {}
    for r in flat:
        if r["row"] not in out or r.get("rank") == 1:
            out[r["row"]] = r
    return [out[k] for k in sorted(out)]


def is_match(r: dict) -> bool:
    """A traced generation whose best match is the model's copy (not an echo of its prompt)."""
    return not r["error"] and r["verdict"] not in (None, "none") and not r.get("in_prompt")


def _shares(counter: Counter, total: int) -> dict:
    return {k: {"count": n, "share": round(n / total, 4) if total else 0.0} for k, n in counter.most_common()}


def _figures(rows: list[dict]) -> dict:
    n = len(rows)
    errors = sum(1 for r in rows if r["error"])
    matched = [r for r in rows if is_match(r)]
    # a copy that was already in the prompt is the model echoing its input: counted apart
    echoed = [r for r in rows if not r["error"] and r["verdict"] not in (None, "none") and r.get("in_prompt")]
    required = [r for r in matched if r["attribution_required"]]
    missing = [r for r in required if r["attribution_present"] is False]
    copyleft = [r for r in matched if r["license_category"] in COPYLEFT]
    return {
        "outputs": n, "errors": errors, "matched": len(matched),
        "matched_share": round(len(matched) / n, 4) if n else 0.0,
        "by_verdict": {v: sum(1 for r in rows if not r["error"] and (r["verdict"] or "none") == v) for v in VERDICTS},
        "by_license_category": _shares(Counter(r["license_category"] or "unknown" for r in matched), n),
        "by_license": _shares(Counter(r["license"] or "unknown" for r in matched), n),
        "copyleft": len(copyleft), "copyleft_share": round(len(copyleft) / n, 4) if n else 0.0,
        "attribution_required": len(required),
        "attribution_missing": len(missing),
        "attribution_missing_share": round(len(missing) / n, 4) if n else 0.0,
        # required because the source's licence could not be established: attribute to be safe
        "attribution_missing_license_unknown": sum(1 for r in missing if (r["license_category"] or "unknown") == "unknown"),
        "wrong_license": sum(1 for r in matched if r["attribution_wrong_license"]),
        "in_prompt": len(echoed),
        "license_answers": _answer_accuracy(matched),
        # with --project-license: how the matched sources' licences fit the project's
        "compatibility": dict(Counter(r.get("compatibility") or "not asked" for r in matched).most_common()),
    }


def _answer_accuracy(matched: list[dict]) -> dict:
    """LiCoEval-style: of the matched generations whose model gave a licence answer and whose
    source licence is known, the share whose answer names that licence, for permissive and for
    copyleft sources."""
    out = {}
    for group, categories in (("permissive", ("permissive", "public-domain")), ("copyleft", COPYLEFT)):
        judged = [r for r in matched if r.get("license_answer") and r.get("license_answer_correct") is not None
                  and r["license_category"] in categories]
        right = sum(1 for r in judged if r["license_answer_correct"])
        out[group] = {"answers": len(judged), "correct": right,
                      "accuracy": round(right / len(judged), 4) if judged else None}
    return out


def summarize(flat: list[dict], index: dict, project_license: str | None = None) -> dict:
    rows = per_output(flat)
    summary = {"schema": SCHEMA, "index": index, "project_license": project_license, **_figures(rows)}
    summary["top_repositories"] = [{"repo_name": repo, "outputs": n} for repo, n in Counter(
        r["repo_name"] for r in rows if is_match(r)).most_common(TOP_REPOS)]
    models = sorted({r["model"] for r in rows if r["model"] is not None})
    summary["by_model"] = {m: _figures([r for r in rows if r["model"] == m]) for m in models}
    return summary


def _n(n, noun: str) -> str:
    """``1 file``, ``2 files``; a count the index does not record is shown as it is."""
    return f"{n} {noun if n == 1 else noun + 's'}"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def render_markdown(s: dict) -> str:
    n = s["outputs"]
    lines = ["# Audit summary", "",
             f"Index `{s['index'].get('id')}` ({_n(s['index'].get('files'), 'file')}, "
             f"{_n(s['index'].get('windows'), 'window')}, "
             f"`{s['index'].get('config')}`).", "",
             f"- Generations audited: {n} ({s['errors']} could not be traced)",
             f"- With a match (verbatim, near-verbatim or similar): {s['matched']} ({_pct(s['matched_share'])})",
             f"- Matching copyleft code: {s['copyleft']} ({_pct(s['copyleft_share'])})",
             f"- Attribution required: {s['attribution_required']}; missing from the output: "
             f"{s['attribution_missing']} ({_pct(s['attribution_missing_share'])} of all generations; "
             f"{s['attribution_missing_license_unknown']} of them from sources whose licence is unknown)",
             f"- Naming a licence none of its sources is under: {s['wrong_license']}",
             f"- Copies that were already in the prompt (not counted as matches): {s['in_prompt']}", ""]
    if s.get("project_license"):
        c = s["compatibility"]
        lines[-1:-1] = [f"- Sources whose licence cannot go into a {s['project_license']} project: "
                        f"{c.get('incompatible', 0)} incompatible, {c.get('needs-review', 0)} to review, "
                        f"{c.get('compatible', 0)} compatible"]
    lines += ["## By verdict of the best match", "", "| verdict | generations | share |", "|---|---|---|"]
    lines += [f"| {v} | {c} | {_pct(c / n) if n else '-'} |" for v, c in s["by_verdict"].items()]
    for title, key in (("By licence category", "by_license_category"), ("By licence", "by_license")):
        lines += ["", f"## {title} (matched generations)", "", "| | generations | share of all |", "|---|---|---|"]
        lines += [f"| {k} | {v['count']} | {_pct(v['share'])} |" for k, v in s[key].items()] or ["| none | 0 | - |"]
    answers = s["license_answers"]
    if any(v["answers"] for v in answers.values()):
        lines += ["", "## The models' licence answers (matched generations)", "",
                  "| source licence | answers | naming the source's licence | accuracy |", "|---|---|---|---|"]
        lines += [f"| {g} | {v['answers']} | {v['correct']} | "
                  f"{_pct(v['accuracy']) if v['accuracy'] is not None else '-'} |" for g, v in answers.items()]
    lines += ["", "## Top source repositories", "", "| repository | generations |", "|---|---|"]
    lines += [f"| {r['repo_name']} | {r['outputs']} |" for r in s["top_repositories"]] or ["| none | 0 |"]
    if s["by_model"]:
        lines += ["", "## By model", "", "| model | generations | matched | copyleft | attribution missing |",
                  "|---|---|---|---|---|"]
        lines += [f"| {m} | {f['outputs']} | {f['matched']} ({_pct(f['matched_share'])}) | {f['copyleft']} "
                  f"({_pct(f['copyleft_share'])}) | {f['attribution_missing']} ({_pct(f['attribution_missing_share'])}) |"
                  for m, f in s["by_model"].items()]
    return "\n".join(lines) + "\n"


def write_summary(out_dir: Path, summary: dict, flat: list[dict]) -> None:
    plots = write_plots(out_dir / "plots", summary, flat)
    with atomic_file(out_dir / "summary.json", "w", encoding="utf-8") as fh:
        fh.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    with atomic_file(out_dir / "summary.md", "w", encoding="utf-8") as fh:
        fh.write(render_markdown(summary))
        if plots:
            fh.write("\n## Plots\n\n" + "\n".join(f"![{title}](plots/{name})" for name, title in plots) + "\n")


def write_plots(directory: Path, summary: dict, flat: list[dict]) -> list[tuple[str, str]]:
    """Match rate by licence category and by model, the distribution of best-match scores and the
    top source repositories, as PNGs (written atomically). [(file name, title)]"""
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    n = summary["outputs"] or 1
    rows = [r for r in per_output(flat) if is_match(r)]
    charts = []

    def save(fig, name: str, title: str) -> None:
        fig.tight_layout()
        tmp = directory / f".{name}.tmp.png"
        fig.savefig(tmp, dpi=100)
        plt.close(fig)
        os.replace(tmp, directory / name)
        charts.append((name, title))

    cats = summary["by_license_category"]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.barh(list(cats)[::-1] or ["none"], [100 * v["share"] for v in cats.values()][::-1] or [0])
    ax.set_xlabel("% of all generations with a match")
    ax.set_title("Matches by licence category of the source")
    save(fig, "by_license_category.png", "Match rate by licence category")

    if summary["by_model"]:
        models = list(summary["by_model"])
        fig, ax = plt.subplots(figsize=(6, 1.8 + 0.5 * len(models)))
        ax.barh(models[::-1], [100 * summary["by_model"][m]["matched_share"] for m in models][::-1], label="any match")
        ax.barh(models[::-1], [100 * summary["by_model"][m]["copyleft_share"] for m in models][::-1], label="copyleft")
        ax.set_xlabel("% of the model's generations")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=2, frameon=False)
        ax.set_title("Match rate by model")
        save(fig, "by_model.png", "Match rate by model")

    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.hist([r["score"] for r in rows if r["score"] is not None], bins=20, range=(0, 1))
    ax.set_xlabel("score of the best match")
    ax.set_ylabel("generations")
    ax.set_title(f"Similarity of {len(rows)} matched generations (of {n})")
    save(fig, "similarity.png", "Similarity distribution")

    top = summary["top_repositories"]
    fig, ax = plt.subplots(figsize=(7, 1.8 + 0.35 * max(1, len(top))))
    ax.barh([t["repo_name"][-40:] for t in top][::-1] or ["none"], [t["outputs"] for t in top][::-1] or [0])
    ax.set_xlabel("generations whose best match is in the repository")
    ax.set_title("Top source repositories")
    save(fig, "top_repositories.png", "Top source repositories")
    return charts
