"""Licence compatibility: the answers follow the documented table, and the table is the doc."""
from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import AuditorError
from auditor.licensing.compatibility import VERDICTS, check_project_license, compatibility, table, table_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "licence-compatibility.md"

# One licence of each class, to ask the public function about (not the table's own lookup).
SOURCE_EXAMPLES = {"public-domain": "CC0-1.0", "permissive": "BSD-3-Clause", "apache-2.0": "Apache-2.0",
                   "bsd-4-clause": "BSD-4-Clause", "mpl-2.0": "MPL-2.0",
                   "mpl-2.0-no-secondary": "MPL-2.0-no-copyleft-exception", "lgpl-2.1-only": "LGPL-2.1-only",
                   "lgpl-2.1-or-later": "LGPL-2.1-or-later", "lgpl-3.0": "LGPL-3.0-or-later",
                   "gpl-2.0-only": "GPL-2.0-only", "gpl-2.0-or-later": "GPL-2.0-or-later",
                   "gpl-3.0": "GPL-3.0-only", "agpl-3.0": "AGPL-3.0-or-later", "gpl-incompatible-weak": "CDDL-1.0",
                   "other-weak-copyleft": "EPL-2.0", "other-copyleft": "Sleepycat",
                   "proprietary": "LicenseRef-scancode-proprietary-license", "unknown": None}
PROJECT_EXAMPLES = {"permissive": "MIT", "mpl-2.0": "MPL-2.0", "lgpl-2.1-only": "LGPL-2.1-only",
                    "lgpl-2.1-or-later": "LGPL-2.1-or-later", "lgpl-3.0": "LGPL-3.0-only",
                    "gpl-2.0-only": "GPL-2.0-only", "gpl-2.0-or-later": "GPL-2.0-or-later",
                    "gpl-3.0": "GPL-3.0-or-later", "agpl-3.0": "AGPL-3.0-only"}


def test_the_documented_table_is_the_one_used():
    assert table_markdown() in DOC.read_text("utf-8"), "regenerate docs/licence-compatibility.md from the table"
    for source in table()["provenance"]:
        assert source["url"].startswith("https://") and source["used_for"]


@pytest.mark.parametrize("source_class", list(SOURCE_EXAMPLES))
def test_every_answer_follows_the_table(source_class):
    t = table()
    assert set(SOURCE_EXAMPLES) == set(t["source_classes"]) and set(PROJECT_EXAMPLES) == set(t["project_classes"])
    row = t["table"][source_class]
    for project_class, project_id in PROJECT_EXAMPLES.items():
        verdict, reason = row.get(project_class) or row["*"]
        got = compatibility(SOURCE_EXAMPLES[source_class], project_id)
        assert (got.verdict, got.reason) == (verdict, t["reasons"][reason]), (source_class, project_id)


@pytest.mark.parametrize("source,project,verdict", [
    ("Apache-2.0", "GPL-2.0-only", "incompatible"),        # the first example (FSF, ASF)
    ("GPL-3.0-or-later", "MIT", "incompatible"),           # and its second
    ("Apache-2.0", "GPL-3.0-or-later", "compatible"),
    ("MIT", "GPL-2.0-only", "compatible"),
    ("GPL-2.0-or-later", "GPL-2.0-only", "compatible"),    # QEMU: "or later" code into a GPL-2.0-only tree
    ("GPL-2.0-only", "GPL-3.0-only", "incompatible"),
    ("GPL-2.0-only", "GPL-2.0-or-later", "needs-review"),  # the combination becomes GPL-2.0-only
    ("MPL-2.0", "MIT", "needs-review"),
    ("MPL-2.0", "GPL-2.0-only", "compatible"),
    ("LGPL-2.1-only", "GPL-2.0-only", "compatible"),
    ("LGPL-2.1-only", "MIT", "incompatible"),
    ("AGPL-3.0-only", "GPL-3.0-only", "needs-review"),
    ("BSD-4-Clause", "GPL-2.0-or-later", "incompatible"),
    ("MIT OR GPL-3.0-only", "MIT", "compatible"),          # the reuser takes the MIT branch
    ("MIT AND GPL-3.0-only", "MIT", "incompatible"),       # every AND term applies
    ("Apache-2.0", "MIT OR GPL-2.0-only", "incompatible"), # must fit every licence the project offers
    ("GPL-2.0-only WITH Classpath-exception-2.0", "MIT", "incompatible"),
    (None, "MIT", "needs-review"),
    ("GPL-1.0-or-later", "GPL-3.0-only", "compatible"),    # "or later" reaches version 3
    ("LGPL-2.1-or-later", "LGPL-2.0-only", "needs-review"),  # 2.1 cannot go back to 2.0
    ("MIT", "EPL-2.0", "compatible"),                      # a project licence the table does not class
    ("GPL-3.0-only", "EPL-2.0", "needs-review"),
])
def test_named_cases(source, project, verdict):
    c = compatibility(source, check_project_license(project))
    assert c.verdict == verdict, c
    assert c.verdict in VERDICTS and c.reason


def test_a_project_licence_that_is_not_spdx_is_refused():
    with pytest.raises(AuditorError, match="not an SPDX"):
        check_project_license("GPLv2")
    assert check_project_license("GPL-2.0+") == "GPL-2.0-or-later"
