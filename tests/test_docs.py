"""The docs keep up with the code: every command, behaviour and log column is documented."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from distillguard.cli import main
from distillguard.events import EVENT_SCHEMA
from distillguard.sim import ATTACKS, BENIGN

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = sorted(main.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_a_page_and_a_readme_row(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
    page = ROOT / "docs" / "commands" / f"{command}.md"
    assert page.is_file(), f"docs/commands/{command}.md is missing"
    text = page.read_text()
    assert text.startswith(f"# distillguard {command}")
    assert "```bash" in text.split("\n", 3)[2] or "```bash" in text[:200], "a page opens with a runnable example"
    for path, cmd in _walk(main.commands[command], (command,)):
        if path != (command,):  # a group's subcommand: help works and its page names it
            sub = CliRunner().invoke(main, [*path, "--help"])
            assert sub.exit_code == 0 and "Usage:" in sub.output, path
            pattern = r"distillguard " + r"\b[^\n`]*\b".join(re.escape(part) for part in path) + r"\b"
            assert re.search(pattern, text), f"{' '.join(path)} is not on {page.name}"
        for option in (p for p in cmd.params if p.param_type_name == "option"):
            longest = max(option.opts, key=len)
            assert longest in text, f"{' '.join(path)} option {longest} is not documented"
    assert f"`distillguard {command}`" in (ROOT / "README.md").read_text()


def _walk(cmd: click.Command, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """The command and, for a group, every subcommand below it, with their paths."""
    yield path, cmd
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from _walk(sub, (*path, name))


def test_every_behaviour_has_a_heading_in_the_simulator_docs() -> None:
    text = (ROOT / "docs" / "simulator.md").read_text()
    for cls in (*BENIGN, *ATTACKS):
        assert f"\n### {cls.name}\n" in text, cls.name


def test_every_log_column_is_documented() -> None:
    text = (ROOT / "docs" / "log-format.md").read_text()
    for name in EVENT_SCHEMA.names:
        assert f"`{name}`" in text, name


def test_readme_names_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "./dev demo" in readme and "./dev test" in readme
    assert "./dev test" in (ROOT / ".ci" / "run").read_text()


def test_every_scoring_feature_and_link_type_is_documented() -> None:
    from distillguard.linking.graph import LINK_WEIGHTS
    from distillguard.scoring.model import MODEL_FEATURES, SENTENCES

    text = (ROOT / "docs" / "scan.md").read_text()
    for name, _ in MODEL_FEATURES:
        assert f"`{name}`" in text, name
        assert name in SENTENCES, f"{name} has no evidence sentence"
    for kind in LINK_WEIGHTS:
        assert f"`{kind}`" in text, kind
