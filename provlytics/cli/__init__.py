"""The `provlytics` command line: thin verbs over the public API.

One module per group of verbs: `load` (load, demo, retention), `fetch`, `ops` (jobs, rules),
`on_demand` and `report`; `graph` holds the credential options of the commands that talk to a
tenant. The group imports a command's module only when that command is asked for (`_COMMANDS`
names each module and keeps the help text `provlytics --help` lists), and each command imports
the library inside its function, so that a call pays only for the modules it uses.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import warnings
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import click

from provlytics.errors import LoadWarning, ProvlyticsError

_VERBOSE_HELP = "More log output (-v info, -vv debug)."


class _Entry(NamedTuple):
    module: str  # under provlytics.cli
    attribute: str
    summary: str  # the command's help up to its first blank line (tests hold them equal)


_COMMANDS: dict[str, _Entry] = {
    "demo": _Entry(
        "load",
        "demo_command",
        "Load the bundled samples, print a failure summary, write the report.",
    ),
    "fetch": _Entry(
        "fetch",
        "fetch_command",
        "Fetch provisioning logs from Graph into a Parquet dataset, resumably.",
    ),
    "jobs": _Entry(
        "ops",
        "jobs_command",
        "Show the provisioning jobs of a service principal, quarantine highlighted.",
    ),
    "load": _Entry(
        "load",
        "load_command",
        "Load saved provisioning data (any dialect) into the store (Delta tables).",
    ),
    "on-demand": _Entry(
        "on_demand",
        "on_demand_command",
        "Provision users (or a group and members) now; show each one's steps.",
    ),
    "report": _Entry(
        "report",
        "report_command",
        "Write the Parquet tables, summaries and report.html into OUT.",
    ),
    "retention": _Entry(
        "load",
        "retention_command",
        "Show or set how long the store keeps what later loads replaced.",
    ),
    "rules": _Entry(
        "ops",
        "rules_command",
        "List the synchronization rules of one job, or of every job of the app.",
    ),
}


class _LazyCommands(Mapping[str, click.Command]):
    """The group's commands by name; looking one up imports its module (once)."""

    def __getitem__(self, name: str) -> click.Command:
        entry = _COMMANDS[name]
        module = importlib.import_module(f"{__name__}.{entry.module}")
        command: click.Command = getattr(module, entry.attribute)
        if not any(param.name == "verbose" for param in command.params):
            command.params.append(_verbose_option())
        return command

    def __iter__(self) -> Iterator[str]:
        return iter(_COMMANDS)

    def __len__(self) -> int:
        return len(_COMMANDS)


class _Group(click.Group):
    """Turns user errors into one line and an exit code: 2 for a wrong command line (click's
    own usage errors), 1 for what the inputs or the system refused (provlytics errors, a file
    that cannot be written, memory).

    Its commands are a `_LazyCommands`: click's `get_command` and `list_commands` look them up
    there, so that only the command run is imported; the listing of `--help` is made from
    `_COMMANDS` without importing any."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """As click's; when run as the program (arguments from `sys.argv`) after `deltalake`
        was used, the process ends with `os._exit` once the output is flushed: delta-rs'
        threads often abort the interpreter at exit (code 134) after a successful commit
        (a known delta-rs problem, measured in the benchmarks note)."""
        program = not args and kwargs.get("args") is None
        try:
            return super().main(*args, **kwargs)
        except SystemExit as exc:
            if program and "deltalake" in sys.modules:
                _exit_process(exc.code)
            raise

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise _one_line(exc) from None

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # a command's own arguments and options
            raise _one_line(exc) from None
        except ProvlyticsError as exc:
            raise click.ClickException(str(exc)) from exc
        except OSError as exc:
            from provlytics.sources.reading import display_path

            where = f"{display_path(exc.filename)}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from exc
        except MemoryError as exc:
            raise click.ClickException("out of memory; load fewer files at a time") from exc

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The "Commands" section as click writes it (each summary shortened to the width),
        from `_COMMANDS`: listing the commands imports none of them."""
        limit = formatter.width - 6 - max(len(name) for name in _COMMANDS)
        rows = [
            (name, click.Command(name, help=entry.summary).get_short_help_str(limit))
            for name, entry in sorted(_COMMANDS.items())
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _one_line(error: click.UsageError) -> click.UsageError:
    """The usage error without its usage block and help hint: one `Error: ...` line (click
    prints those only when the error carries its context); still exit code 2."""
    error.ctx = None
    return error


@click.group(
    cls=_Group,
    commands=_LazyCommands(),
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(None, "-V", "--version", package_name="provlytics", prog_name="provlytics")
@click.option("-v", "--verbose", count=True, help=_VERBOSE_HELP)
def main(verbose: int) -> None:
    """Turn Microsoft Entra ID provisioning logs into analysable tables."""
    from provlytics.pipeline.arrow_pool import prefer_jemalloc
    from provlytics.redact import RedactingFilter

    prefer_jemalloc()  # before a command imports pyarrow: ~50 MB less at a load's peak
    warnings.showwarning = _show_warning
    warnings.filterwarnings("ignore", category=LoadWarning)  # its log line says it, once

    logging.basicConfig(level=_level(verbose), format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # also loggers created after the package's
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def _verbose_option() -> click.Option:
    """-v/--verbose after the command (`provlytics load ... -v`), counted with the group's
    (`provlytics -v load ... -v` is -vv)."""
    return click.Option(
        ["-v", "--verbose"],
        count=True,
        expose_value=False,
        callback=_more_verbose,
        help=_VERBOSE_HELP,
    )


def _more_verbose(ctx: click.Context, param: click.Parameter, count: int) -> None:
    """Lower the root logger's level by the command's -v count added to the group's."""
    if count:
        total = count + (ctx.find_root().params.get("verbose") or 0)
        logging.getLogger().setLevel(_level(total))


def _level(verbose: int) -> int:
    return logging.WARNING - 10 * min(verbose, 2)


def _show_warning(message: Warning | str, *_where: object, **_options: object) -> None:
    """A library warning (a code or value not in the data, say) as one line, `Warning: ...`:
    the file and line it points at are the library's or click's, not the user's."""
    click.echo(f"Warning: {message}", err=True)


def _exit_process(code: object) -> None:
    """End the process now with `code` (click's exit code), output flushed first."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))
