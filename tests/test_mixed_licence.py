"""A mixed-licence package: lz4's Debian source, where lib/ is BSD-2-Clause and programs/ is
GPL-2.0-or-later (per its DEP-5 debian/copyright). A snippet copied from a GPL file must be
reported as GPL, not as the package's other licence."""
from __future__ import annotations

import sys

import pytest

from auditor import api
from auditor.index.reader import Index

from conftest import REPO, cache_dir

sys.path.insert(0, str(REPO / "benchmarks"))
from fetch import debian_source_tree  # noqa: E402  (the benchmarks' own pinned Debian fetcher)

sys.path.pop(0)


@pytest.fixture(scope="module")
def lz4(tmp_path_factory):
    tree, why = debian_source_tree("lz4", "1.9.4-1", cache=cache_dir())
    if tree is None:
        pytest.skip(f"lz4 Debian source unavailable: {why}")
    out = tmp_path_factory.mktemp("idx") / "lz4"
    api.build_index([str(tree)], out, workers=2, show_progress=False)
    return Index(out)


def _file(index: Index, path: str) -> tuple[dict, str]:
    for blob in range(len(index.blob_ids)):
        for row in index.files_of(blob):
            if row["path"] == path:
                return row, index.blob_text(blob)
    raise AssertionError(f"{path} not indexed")


@pytest.mark.parametrize("path,licence", [
    ("programs/lz4cli.c", "GPL-2.0-or-later"),
    ("programs/bench.c", "GPL-2.0-or-later"),
    ("lib/lz4.c", "BSD-2-Clause"),
    ("lib/lz4frame.c", "BSD-2-Clause"),
])
def test_per_file_licence_follows_dep5_and_headers(lz4, path, licence):
    row, _ = _file(lz4, path)
    assert row["license"] == licence, (row["license"], row["license_evidence"])
    assert row["holders"], row


def test_snippet_from_gpl_file_is_reported_gpl(lz4):
    row, text = _file(lz4, "programs/lz4cli.c")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("int main("))
    snippet = "\n".join(lines[start: start + 30])
    result = api.trace_snippet(snippet, lz4)
    top = result.matches[0]
    assert top.source.path == "programs/lz4cli.c" and top.verdict == "verbatim"
    assert top.source.license == "GPL-2.0-or-later" and top.source.license_category == "strong-copyleft"
    assert "GPL-2.0-or-later" in result.attribution.notice
