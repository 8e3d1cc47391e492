"""Project hygiene a user relies on: clean notebooks, a stable public API, documented CLI."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import provlytics as pv
from provlytics.cli import main

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TOKEN_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}|Bearer\s+[A-Za-z0-9._-]{20,}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs_or_tokens(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        assert not cell.get("outputs"), f"{path.name}: clear outputs before committing"
        assert not TOKEN_LIKE.search("".join(cell["source"])), f"{path.name}: token-like text"


def test_there_is_a_notebook_to_run():
    assert NOTEBOOKS


def test_public_names_are_exported_and_importable():
    for name in pv.__all__:
        assert getattr(pv, name) is not None, name
    assert {"load", "read_parquet", "read_on_demand", "ProvisioningFrames"} <= set(pv.__all__)


def test_every_cli_command_has_help_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    runner = CliRunner()
    for name, command in main.commands.items():
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, result.output
        assert command.help, name
        assert f"provlytics {name}" in readme, f"README does not show `provlytics {name}`"


def test_the_readme_calls_filter_frames_with_its_real_keywords():
    """A reader copying `filter_frames(frames, job=...)` from the README got a TypeError."""
    import inspect

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    calls = re.findall(r"filter_frames\(([^()]*)\)", readme)
    used = {k for call in calls for k in re.findall(r"\b([a-z_]+)=", call)}
    assert {"since", "until", "job_id", "target_system", "service_principal"} <= used
    assert used <= set(inspect.signature(pv.analysis.filter_frames).parameters)
