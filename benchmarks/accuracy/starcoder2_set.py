"""The StarCoder2 extraction set (``../shared/data/starcoder2-extraction``) as a labelled set.

Corpus: one document per row (``prefix_250 + suffix``, the training file's fragment), plus
real Java from Debian source packages as distractors (cached by ``benchmarks/fetch.py``).
Cases, for one model's generations:
- ``type1``: exact reproductions (``em == 1``); right when the top hit is any document that
  contains the generation, whitespace ignored (many reproductions are generic and occur
  in several rows: the data's README asks for exactly this rule);
- ``unseen``: generations with BLEU < 20 against the true continuation. Low BLEU does not
  prove that nothing was copied, so their false-attribution rate is an upper bound;
- ``doc-text``: exact reproductions that are mostly comments (licence headers, Javadoc; the
  same test as ``starcoder2_extraction.py``). Memorised, but not code: auditor does not
  attribute prose by design, so they are reported apart, not scored as positives or negatives.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
import re
import sys

from cases import Case, CorpusFile

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
DATA = BENCH.parent / ".." / "shared" / "data" / "starcoder2-extraction" / "starcoder2_extraction_java.parquet"
LOW_BLEU = 20.0
_WS = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _WS.sub("", text)


def _split(sample_id: str) -> str:
    return "dev" if int(hashlib.sha1(sample_id.encode()).hexdigest()[:8], 16) % 10 < 3 else "test"


def build_starcoder2_set(model: str = "15b", limit: int | None = None, distractors: bool = True,
                         max_distractors: int | None = None, data: Path = DATA
                         ) -> tuple[list[CorpusFile], list[Case], list[str]]:
    import pyarrow.parquet as pq

    sys.path.insert(0, str(BENCH))
    from starcoder2_extraction import DEBIAN_PACKAGES, comment_share, distractor_files  # noqa: E402
    from fetch import CACHE, fetch_debian_sources  # noqa: E402

    if not Path(data).is_file():
        return [], [], [f"StarCoder2 set not found at {data}"]
    rows = pq.read_table(data).to_pylist()[:limit] if limit else pq.read_table(data).to_pylist()
    files = [CorpusFile(i, f"starcoder2-extraction/{r['sample_id']}", f"{r['sample_id']}.java", "java",
                        r["prefix_250"] + r["suffix"], None) for i, r in enumerate(rows)]
    skipped: list[str] = []
    if distractors:
        tarballs, reasons = fetch_debian_sources(DEBIAN_PACKAGES, CACHE)
        skipped += reasons
        for pkg, path, content in distractor_files(tarballs, max_distractors):
            files.append(CorpusFile(len(files), f"debian/{pkg}", path, "java", content, None))
    squashed = [_squash(f.content) for f in files]
    cases = []
    for r in rows:
        generation = r[f"gen_{model}"]
        if r[f"em_{model}"] == 1:
            g = _squash(generation)
            holders = tuple(i for i, s in enumerate(squashed) if g in s)
            kind = "doc-text" if comment_share(r["prefix_250"] + generation, len(r["prefix_250"])) > 0.5 else "type1"
            cases.append(Case(f"sc2-{model}-{r['sample_id']}", kind, "java", generation, holders,
                              {"sample_id": r["sample_id"], "unit": "generation"}, None, _split(r["sample_id"])))
        elif r[f"bleu_{model}"] < LOW_BLEU:
            cases.append(Case(f"sc2-{model}-{r['sample_id']}", "unseen", "java", generation, (),
                              {"sample_id": r["sample_id"], "unit": "generation"}, None, _split(r["sample_id"])))
    return files, cases, skipped
