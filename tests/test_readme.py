"""The README's quick start is what CI runs, and documents every command."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from hsctwatch.cli import cli

ROOT = Path(__file__).parent.parent


def shell_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", text, re.DOTALL)]


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = shell_blocks(quick_start)
    assert len(blocks) == 2, "the quick start has exactly two commands"
    demo, tests = blocks
    assert "hsct-watch demo" in demo
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()


def test_every_command_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in cli.list_commands(None):  # type: ignore[arg-type]
        assert f"hsct-watch {name}" in readme or f"`{name}`" in readme, name
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output
