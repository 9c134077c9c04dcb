"""The editorial policy lives in the repository (docs/editorial-policy.md) and the rules file
keeps in step with it: the same tags in the same facets. Nothing in the project points at a
file outside it, because a user who clones the project has only the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from hsctwatch.rules import Vocabulary

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "docs" / "editorial-policy.md"
FACETS = {"Type": "type", "MS type": "ms-type", "Topic": "topic", "Country": "country", "Trial": "trial"}


def policy_tags() -> dict[str, set[str]]:
    """Slugs by facet, as the policy's "Tags" section gives them (each facet's paragraph and table)."""
    text = POLICY.read_text(encoding="utf-8")
    section = text[text.index("## Tags"):text.index("## Duplicates")]
    found: dict[str, set[str]] = {}
    chunks = re.split(r"^\*\*(Type|MS type|Topic|Country|Trial)\*\*", section, flags=re.MULTILINE)
    for name, body in zip(chunks[1::2], chunks[2::2], strict=True):
        if name == "Country":
            body = body.split("Some places that settle the country")[0]
        slugs = set(re.findall(r"`([a-z0-9-]+)`", body))
        if name == "Trial":
            slugs = {s for s in slugs if not s.startswith("nct")}
        found[FACETS[name]] = slugs
    return found


def test_the_rules_file_has_exactly_the_policy_s_tags() -> None:
    assert policy_tags() == {facet: set(slugs) for facet, slugs in Vocabulary.load().facets.items()}


SKIP = {".git", ".venv", "node_modules", "test-artifacts", "demo", "public", "build", "dist"}


def project_files() -> list[str]:
    """The repository's files: git's list in a clone, else the tree without what is made locally."""
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode == 0:
        return listed.stdout.split()
    return [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file() and not (
        set(p.relative_to(ROOT).parts) & SKIP or any(part.endswith(("cache__", "_cache", ".egg-info"))
                                                      for part in p.parts))]


#: Paths to the team's files outside the repository, spelled in parts so this file names none.
OUTSIDE = ("../" + "shared", "TAXONOMY" + ".md")


def test_nothing_points_outside_the_repository() -> None:
    outside = []
    for name in project_files():
        path = ROOT / name
        if not path.is_file() or path.suffix in (".png", ".gz"):
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        if any(pointer in text for pointer in OUTSIDE):
            outside.append(name)
    assert outside == []
