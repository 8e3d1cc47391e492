"""`-v/--verbose` before or after the command (`provlytics load ... -v`), counted together
(found by a new user's trial of main at 82d686c: the README says "each said at `-v`")."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from reportdata import SAMPLES

from provlytics.cli import main

INPUT = str(SAMPLES / "graph-v1" / "provisioning-page-001.json")


@pytest.fixture(autouse=True)
def root_level() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    yield
    root.setLevel(level)


@pytest.mark.parametrize(
    ("before", "after", "level"),
    [
        ([], ["-v"], logging.INFO),
        ([], ["--verbose", "--verbose"], logging.DEBUG),
        (["-v"], ["-v"], logging.DEBUG),
    ],
)
def test_verbose_after_the_command_counts(tmp_path, before, after, level):
    args = [*before, "load", INPUT, "--out", str(tmp_path / "s"), *after]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert logging.getLogger().level == level


@pytest.mark.parametrize("command", ["load", "report", "demo", "jobs", "fetch", "rules"])
def test_every_command_lists_verbose(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert "  -v, --verbose" in result.output
    assert "More log output (-v info, -vv debug)." in result.output
