"""Scoring a method's answers on the labelled set: decisions, calibration, and the tables.

Definitions (also in benchmarks/README.md):
- a method *attributes* a case when its top hit's score reaches its threshold;
- a positive is *found at k* when it is attributed and one of the top k hits is a file that
  contains the origin (``Case.source_file_ids``: identical copies count);
- per group (a type, a language, or both), over the group's positives plus the negatives
  of the same languages: TP = positives found at 1; FP = positives attributed to a wrong
  file + negatives attributed; precision = TP / (TP + FP); recall@1 = TP / positives;
  F1 from those two;
- false-attribution rate = negatives attributed / negatives;
- licence-correct = share of the TPs whose reported licence equals the origin's truth.
"""
from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np

from cases import NEGATIVE_KINDS, POSITIVE_KINDS, REPORTED_KINDS, Case, Hit


@dataclass
class Outcome:
    case: Case
    hits: list[Hit]
    seconds: float
    license: str | None = None  # the licence the method reports for its top hit


def attributed(o: Outcome, threshold: float) -> bool:
    return bool(o.hits) and o.hits[0].score >= threshold


def found_at(o: Outcome, k: int, threshold: float) -> bool:
    if not attributed(o, threshold):
        return False
    truth = set(o.case.source_file_ids)
    return any(h.file_id in truth for h in o.hits[:k])


def _same_license(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    if a == b:
        return True
    try:
        from license_expression import get_spdx_licensing

        licensing = get_spdx_licensing()
        return licensing.is_equivalent(a, b)
    except Exception:
        return False


def score(outcomes: list[Outcome], threshold: float) -> dict:
    pos = [o for o in outcomes if o.case.positive]
    neg = [o for o in outcomes if o.case.negative]
    tp = [o for o in pos if found_at(o, 1, threshold)]
    wrong = sum(attributed(o, threshold) for o in pos) - len(tp)
    fa = sum(attributed(o, threshold) for o in neg)
    precision = len(tp) / (len(tp) + wrong + fa) if tp or wrong or fa else math.nan
    recall = len(tp) / len(pos) if pos else math.nan
    f1 = 2 * precision * recall / (precision + recall) if pos and (precision + recall) > 0 else (0.0 if pos else math.nan)
    seconds = np.array([o.seconds for o in outcomes]) * 1000 if outcomes else np.array([math.nan])
    return {
        "positives": len(pos), "negatives": len(neg),
        "recall@1": recall,
        "recall@5": sum(found_at(o, 5, threshold) for o in pos) / len(pos) if pos else math.nan,
        "precision": precision, "f1": f1,
        "false_attribution": fa / len(neg) if neg else math.nan,
        "licence_correct": (sum(_same_license(o.license, o.case.license) for o in licensed) / len(licensed)
                            if (licensed := [o for o in tp if o.case.license]) else math.nan),
        "p50_ms": float(np.percentile(seconds, 50)), "p99_ms": float(np.percentile(seconds, 99)),
    }


def calibrate(outcomes: list[Outcome]) -> float:
    """The threshold that maximises F1 over all positive types and the negatives (dev split)."""
    scores = sorted({o.hits[0].score for o in outcomes if o.hits})
    if not scores:
        return math.inf
    best, best_f1 = scores[0], -1.0
    for t in scores:
        f1 = score(outcomes, t)["f1"]
        if f1 > best_f1 + 1e-12:
            best, best_f1 = t, f1
    return best


def tables(outcomes: list[Outcome], threshold: float) -> dict:
    """Scores per type (with every negative), per type x language, and per negative kind."""
    out: dict = {"by_type": {}, "by_type_language": {}, "negatives": {}}
    languages = sorted({o.case.language for o in outcomes})
    negatives = [o for o in outcomes if o.case.negative]
    for kind in POSITIVE_KINDS:
        group = [o for o in outcomes if o.case.kind == kind]
        if group:
            out["by_type"][kind] = score(group + negatives, threshold)
        for lang in languages:
            sub = [o for o in group if o.case.language == lang]
            if sub:
                out["by_type_language"][f"{kind}/{lang}"] = score(
                    sub + [o for o in negatives if o.case.language == lang], threshold)
    for kind in NEGATIVE_KINDS:
        group = [o for o in negatives if o.case.kind == kind]
        if group:
            out["negatives"][kind] = {"cases": len(group),
                                      "false_attribution": sum(attributed(o, threshold) for o in group) / len(group)}
    for kind in REPORTED_KINDS:
        group = [o for o in outcomes if o.case.kind == kind]
        if group:
            out["reported"] = {kind: {"cases": len(group),
                                      "attributed": sum(attributed(o, threshold) for o in group) / len(group),
                                      "right_file": sum(found_at(o, 1, threshold) for o in group) / len(group)}}
    out["all"] = score([o for o in outcomes if o.case.kind not in REPORTED_KINDS], threshold)
    return out
