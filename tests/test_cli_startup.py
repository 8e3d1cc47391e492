"""The command line starts without the heavy libraries: the group lists its commands from a
table, imports only the module of the command run, and that module imports the library when
the command runs (bench/startup.py measures the time this saves)."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from provlytics.cli import _COMMANDS, defaults, main

HEAVY = ("deltalake", "matplotlib", "msal", "numpy", "pandas", "pyarrow", "requests")
DATA = ("deltalake", "matplotlib", "numpy", "pandas", "pyarrow")


def _heavy_after(code: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    """Which of `heavy` a fresh interpreter holds after running `code`."""
    check = f"{code}\nimport sys\nprint(sorted(set({heavy!r}) & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])


def _run(*args: str) -> str:
    call = f"main({list(args)!r})"
    return f"from provlytics.cli import main\ntry:\n    {call}\nexcept SystemExit:\n    pass"


@pytest.mark.parametrize(
    "args",
    [("--help",), ("--version",), *[(name, "--help") for name in sorted(_COMMANDS)]],
)
def test_help_imports_no_heavy_library(args: tuple[str, ...]) -> None:
    # the Graph commands' credential options come from provlytics.graph.settings, not auth
    assert _heavy_after(_run(*args)) == []


@pytest.mark.parametrize(
    "args",
    [
        ("jobs", "SP"),
        ("rules", "SP"),
        ("fetch", "--out", "never-written"),
        ("on-demand", "SP", "JOB", "--user", "U"),
    ],
)
def test_missing_credentials_are_said_before_any_heavy_import(args, tmp_path) -> None:
    """`jobs X` without a token spent 0.65 s CPU importing pandas, msal and requests first."""
    code = (
        "import os\n"
        "for name in ('PROVLYTICS_TOKEN', 'AZURE_TENANT_ID', 'AZURE_CLIENT_ID'):\n"
        "    os.environ.pop(name, None)\n" + _run(*args)
    )
    check = f"{code}\nimport sys\nprint(sorted(set({HEAVY!r}) & set(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert out.stderr.startswith("Error: Microsoft Graph credentials are missing (none is set)")
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert not (tmp_path / "never-written").exists()


def test_the_light_graph_modules_import_neither_msal_nor_requests() -> None:
    code = "import provlytics.graph, provlytics.graph.odata, provlytics.graph.settings"
    assert _heavy_after(code) == []


@pytest.mark.parametrize(
    "code",
    [
        "from provlytics.graph import GraphClient",
        "from provlytics.graph.session import GraphSession",
        "import provlytics as pv; pv.StaticToken",
        "from provlytics.graph.auth import DeviceCode",
    ],
)
def test_the_log_redaction_is_on_once_msal_and_requests_are_imported(code: str) -> None:
    # every logger of urllib3 and msal that exists then filters its records (placeholders
    # of loggers not created are not loggers)
    check = (
        "import logging\nfrom provlytics.redact import RedactingFilter\n"
        "loggers = [g for n, g in logging.root.manager.loggerDict.items()\n"
        "           if n.split('.')[0] in ('urllib3', 'msal') and isinstance(g, logging.Logger)]\n"
        "bare = [g.name for g in loggers if not any(isinstance(f, RedactingFilter)"
        " for f in g.filters)]\n"
        "print(len(loggers) > 5, bare)"
    )
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\n{check}"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "True []"


def test_importing_the_package_imports_no_heavy_library() -> None:
    assert _heavy_after("import provlytics") == []


def test_help_defaults_are_the_library_defaults() -> None:
    from provlytics import privacy, store
    from provlytics.sources import graph_logs

    assert defaults.LOCK_TIMEOUT == store.LOCK_TIMEOUT
    assert defaults.DEFAULT_TOP == graph_logs.DEFAULT_TOP
    assert defaults.KEY_VARIABLE == privacy.KEY_VARIABLE


def test_the_table_names_each_command_with_its_help() -> None:
    assert main.list_commands(click.Context(main)) == sorted(_COMMANDS)
    for name, entry in _COMMANDS.items():
        command = main.get_command(click.Context(main), name)
        assert command is not None and command.name == name
        assert inspect.cleandoc(command.help or "").split("\n\n")[0] == entry.summary


@pytest.mark.parametrize(
    ("width", "line"),
    [
        (50, "  on-demand  Provision users (or a group and..."),
        (80, "  on-demand  Provision users (or a group and members) now; show each one's..."),
        (200, "  on-demand  Provision users (or a group and members) now; show each one's steps."),
    ],
)
def test_help_lists_the_commands_as_click_does(width: int, line: str) -> None:
    eager = click.Group(
        main.name,
        commands=[main.commands[name] for name in _COMMANDS],
        params=main.params,
        help=main.help,
        context_settings=main.context_settings,
    )
    lazy = CliRunner().invoke(main, ["--help"], terminal_width=width)
    expected = CliRunner().invoke(eager, ["--help"], terminal_width=width)
    assert lazy.exit_code == 0
    assert lazy.output == expected.output
    assert line in lazy.output.splitlines()
