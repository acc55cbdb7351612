"""Fingerprinting and LSH parameters.

Each config derives what it can and validates itself in its constructor, and leaves
a fingerprint (``tag``) in every index manifest: a query with other parameters is refused.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .errors import AuditorError

# Bumped whenever tokenising changes, so an index built by another tokeniser is refused.
TOKENIZER_VERSION = 2

# The MinHash scheme of datasketch >= 2.0 that our signatures reproduce bit for bit.
MINHASH_SCHEME = "affine32"


@dataclass(frozen=True)
class FingerprintConfig:
    """How code becomes MinHash signatures.

    Code is tokenised (comments and whitespace dropped), identifiers and literals are
    normalised so renamed copies still match, and every ``shingle`` consecutive
    normalised tokens form one shingle. A file is cut into windows of ``window``
    tokens every ``stride`` tokens; each window gets one signature.
    """

    shingle: int = 5
    window: int = 32
    stride: int = 16
    num_perm: int = 128
    seed: int = 1
    normalize_identifiers: bool = True
    normalize_literals: bool = False

    def __post_init__(self):
        if self.shingle < 1:
            raise AuditorError(f"shingle size must be >= 1, got {self.shingle}")
        if self.window < self.shingle:
            raise AuditorError(f"window ({self.window} tokens) must be at least the shingle size ({self.shingle})")
        if not 1 <= self.stride <= self.window:
            raise AuditorError(
                f"stride {self.stride} must be between 1 and the window size {self.window}: "
                "a larger stride leaves code that no window covers"
            )
        if self.window % self.stride:
            raise AuditorError(f"window {self.window} must be a multiple of stride {self.stride}")
        if not 16 <= self.num_perm <= 1024:
            raise AuditorError(f"num_perm {self.num_perm} is outside 16..1024")

    @property
    def query_stride(self) -> int:
        """Queries slide their windows at half the index stride, so some query window
        lines up with an index window within a quarter of a window."""
        return self.stride // 2 if self.stride % 2 == 0 else self.stride

    @property
    def tag(self) -> str:
        ident = ("i" if self.normalize_identifiers else "") + ("l" if self.normalize_literals else "")
        return f"t{TOKENIZER_VERSION}_{self.shingle}ng_{self.num_perm}p_s{self.seed}_w{self.window}s{self.stride}_n{ident or '-'}"


@dataclass(frozen=True)
class LSHConfig:
    """LSH banding. ``bands`` x ``rows`` must fit in ``num_perm``.

    When bands/rows are not given they are derived from ``threshold`` the way
    datasketch's ``MinHashLSH`` does (minimising weighted false positive and
    false negative probability).
    """

    threshold: float = 0.2  # chosen on the accuracy benchmark's dev split: benchmarks/README.md
    num_perm: int = 128
    bands: int = 0
    rows: int = 0
    false_positive_weight: float = 0.5
    false_negative_weight: float = 0.5

    def __post_init__(self):
        if not 0.0 < self.threshold < 1.0:
            raise AuditorError(f"LSH threshold must be in (0, 1), got {self.threshold}")
        if (self.bands == 0) != (self.rows == 0):
            raise AuditorError("give both bands and rows, or neither (they are then derived from the threshold)")
        if self.bands == 0:
            b, r = optimal_bands(self.threshold, self.num_perm, self.false_positive_weight, self.false_negative_weight)
            object.__setattr__(self, "bands", b)
            object.__setattr__(self, "rows", r)
        if self.bands * self.rows > self.num_perm:
            raise AuditorError(
                f"{self.bands} bands x {self.rows} rows need {self.bands * self.rows} permutations "
                f"but num_perm is {self.num_perm}: did you mean num_perm={self.bands * self.rows}?"
            )
        if self.bands < 2:
            raise AuditorError(
                f"threshold {self.threshold} with num_perm {self.num_perm} leaves {self.bands} band: "
                f"did you mean num_perm={self.num_perm * 2}?"
            )

    @property
    def tag(self) -> str:
        return f"{self.bands}b{self.rows}r"


def optimal_bands(threshold: float, num_perm: int, fp_weight: float = 0.5, fn_weight: float = 0.5) -> tuple[int, int]:
    """datasketch's ``_optimal_param``, reimplemented with numpy so the query path does not import scipy.

    A test checks that it agrees with datasketch.
    """
    import numpy as np

    xs = np.linspace(0.0, 1.0, 1001)
    best, opt = float("inf"), (0, 0)
    lo, hi = xs <= threshold, xs >= threshold
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            p = 1.0 - (1.0 - xs**r) ** b
            fp = np.trapezoid(p[lo], xs[lo])
            fn = np.trapezoid(1.0 - p[hi], xs[hi])
            err = fp * fp_weight + fn * fn_weight
            if err < best:
                best, opt = err, (b, r)
    return opt


@dataclass(frozen=True)
class VerifyConfig:
    """Thresholds that turn an alignment into a verdict. Documented in the README.

    - a snippet with fewer than ``min_snippet_tokens`` code tokens is too short to attribute.
    - a block (a run of aligned tokens) counts only from ``min_block`` tokens.
    - ``verbatim``: coverage >= verbatim_coverage, at least ``min_snippet_tokens`` aligned,
      and >= verbatim_identity of aligned tokens identical.
    - ``near-verbatim``: at least ``min_tokens`` aligned, coverage >= near_coverage and
      identity >= near_identity, or coverage >= near_coverage over at least
      ``structural_tokens`` tokens (a long copy with every identifier renamed). Under
      ``short_tokens`` aligned tokens the identity must reach ``short_identity``: short
      templated code (getters, test set-ups, state machines) looks alike with its names changed.
    - a short copy with its names changed also passes the identity rule when at least
      ``min_run`` tokens align, one unbroken aligned run covers ``renamed_run`` of the
      snippet and at least ``renamed_identity`` of its names are unchanged: renamed copies
      keep their shape in one piece, look-alike code shares shorter runs.
    - ``similar``: one aligned run of at least ``similar_run`` tokens, coverage >=
      similar_coverage, and the identity rule of near-verbatim.
    - ``min_tokens``, ``min_run``, ``renamed_identity`` and ``similar_run`` were chosen on
      the dev split of ``benchmarks/accuracy`` (``benchmarks/accuracy/sweep.py``; the
      figures are in benchmarks/README.md): the lowest evidence that kept unseen code
      unattributed there.
    - tokens on boilerplate lines (imports, includes, ``package``, ``"use strict"``, main
      guards, one-line accessors: :mod:`auditor.matching.boilerplate`) align but do not
      count towards ``min_tokens``/``min_snippet_tokens``/``min_part_tokens``.
    - verification stops when none of the ``give_up`` best-ranked candidates verifies (unseen code
      costs 8 alignments, not 32); 8 lost no copy on the dev or test split, 4 lost a renamed one.
    - a copy that fills only part of the snippet (two sources stitched together, a function
      inside a longer file) is judged by the same rules on its own span, from the first to
      the last aligned snippet token, once at least ``min_part_tokens`` tokens are aligned.
    """

    min_snippet_tokens: int = 10
    give_up: int = 8  # stop verifying when none of the first this many ranked candidates verifies
    min_tokens: int = 15
    min_run: int = 15  # the renamed rule needs this many aligned tokens
    similar_run: int = 20  # ``similar`` needs one aligned run this long
    min_block: int = 8
    verbatim_coverage: float = 0.9
    verbatim_identity: float = 0.99
    near_coverage: float = 0.7
    near_identity: float = 0.5
    short_tokens: int = 60  # below this many aligned tokens, near-verbatim needs short_identity
    short_identity: float = 0.8
    structural_tokens: int = 120
    similar_coverage: float = 0.5
    min_part_tokens: int = 40  # a copy filling only part of the snippet is judged on its own span from this size
    renamed_run: float = 0.8  # one aligned run over this share of the snippet: a renamed copy ...
    renamed_identity: float = 0.25  # ... if at least this share of its names is unchanged
    lsh_candidates: int = 400  # source blobs taken from the LSH tables, best estimated containment first
    candidates: int = 32  # of those, verified by alignment after re-ranking on raw tokens
    min_containment: float = 0.2  # LSH candidates estimated to hold less of a query window are not verified

    def __post_init__(self):
        for name in ("verbatim_coverage", "verbatim_identity", "near_coverage", "near_identity", "similar_coverage"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise AuditorError(f"{name} must be within 0..1, got {v}")
        if not self.similar_coverage <= self.near_coverage <= self.verbatim_coverage:
            raise AuditorError("coverage thresholds must satisfy similar <= near-verbatim <= verbatim")
        for name in ("lsh_candidates", "candidates", "give_up"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise AuditorError(f"{name} must be a whole number of at least 1, got {v!r}")


@dataclass(frozen=True)
class IndexConfig:
    fingerprint: FingerprintConfig = field(default_factory=FingerprintConfig)
    lsh: LSHConfig | None = None

    def __post_init__(self):
        if self.lsh is None:
            object.__setattr__(self, "lsh", LSHConfig(num_perm=self.fingerprint.num_perm))
        elif self.lsh.num_perm != self.fingerprint.num_perm:
            raise AuditorError(
                f"LSH num_perm {self.lsh.num_perm} differs from fingerprint num_perm {self.fingerprint.num_perm}"
            )

    @property
    def tag(self) -> str:
        return f"{self.fingerprint.tag}_{self.lsh.tag}"

    def to_dict(self) -> dict:
        return {"fingerprint": asdict(self.fingerprint), "lsh": asdict(self.lsh), "tag": self.tag,
                "minhash_scheme": MINHASH_SCHEME}

    @classmethod
    def from_dict(cls, d: dict) -> "IndexConfig":
        try:
            fp = FingerprintConfig(**d["fingerprint"])
            lsh = LSHConfig(**d["lsh"])
        except (KeyError, TypeError) as e:
            raise AuditorError(f"index manifest has an unreadable config ({e}): rebuild the index") from None
        cfg = cls(fp, lsh)
        stored = str(d.get("tag") or "")
        if stored and not stored.startswith(f"t{TOKENIZER_VERSION}_"):
            raise AuditorError(f"the index was built by another version of auditor's tokeniser ({stored.split('_')[0]}; "
                               f"this one is t{TOKENIZER_VERSION}): rebuild it with `auditor index build`")
        if d.get("tag") not in (None, cfg.tag):
            raise AuditorError(f"index manifest config tag {d.get('tag')!r} does not match its parameters ({cfg.tag})")
        return cfg
