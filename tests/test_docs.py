"""The documents point only at files of this repository, and those files exist."""

from __future__ import annotations

import re
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

REPO = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)#\s]+)")
PATH_IN_CODE = re.compile(r"`(\.\./[^`]*)`")


class DocumentLinkTests(SynchronousTestCase):
    def test_links_and_paths_stay_inside_the_repository(self) -> None:
        documents = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
        for document in documents:
            text = document.read_text(encoding="utf-8")
            self.assertEqual(PATH_IN_CODE.findall(text), [], document.name)
            for target in LINK.findall(text):
                if "://" in target:
                    continue
                resolved = (document.parent / target).resolve()
                self.assertTrue(resolved.is_relative_to(REPO), f"{document.name}: {target}")
                self.assertTrue(resolved.exists(), f"{document.name}: {target}")
