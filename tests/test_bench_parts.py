"""bench/parts.py, which the README's table of where a page's CPU goes comes from, still times
what it says: every stage, and each part where the stages call it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_every_stage_and_part_it_names_is_timed() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench/parts.py"), "--pages", "20", "--no-model"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = {m[1].strip(): float(m[2]) for m in re.finditer(r"^  (\S.*?)\s+(\d+\.\d+)$", done.stdout, re.M)}
    for stage in ("normalize", "extract", "relevance", "tag", "dedup", "store"):
        assert f"{stage} stage" in figures, done.stdout
    # the parts the stages call, each found and timed (a part no stage calls any more reads 0.00)
    reading = "reading the page: trafilatura and the page's metadata"
    for part in (reading, "language", "the rules: relevance", "the rules: tags",
                 "near-duplicate hashes: signature, fingerprints, shingles"):
        assert figures[part] > 0, (part, done.stdout)
    assert "the learned model" in figures and "with the learned model" not in done.stdout  # --no-model
    assert figures["all stages"] >= figures["extract stage"] > figures[reading]
