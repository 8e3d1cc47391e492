"""The `provlytics` command line: thin verbs over the public API."""

from __future__ import annotations

import logging
import os
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import click

from provlytics import analysis
from provlytics.cli.fetch import fetch_command
from provlytics.cli.ops import jobs_command, on_demand_command, rules_command
from provlytics.cli.report import report_command
from provlytics.datasets import read_parquet
from provlytics.errors import ProvlyticsError
from provlytics.loader import load_to_parquet
from provlytics.redact import RedactingFilter
from provlytics.report import write_report
from provlytics.sources.reading import display_path
from provlytics.store import LOCK_TIMEOUT

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


_GLOB_CHARACTERS = frozenset("*?[")


class _Group(click.Group):
    """Turns user errors into one line and an exit code: 2 for a wrong command line (click's
    own usage errors), 1 for what the inputs or the system refused (provlytics errors, a file
    that cannot be written, memory)."""

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

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ProvlyticsError as exc:
            raise click.ClickException(str(exc)) from exc
        except OSError as exc:
            where = f"{display_path(exc.filename)}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from exc
        except MemoryError as exc:
            raise click.ClickException("out of memory; load fewer files at a time") from exc


def _existing_or_glob(ctx: click.Context, param: click.Parameter, paths: tuple[str, ...]) -> list:
    """PATHS as given: each must exist, or be a pattern (`"exports/*.json"`, quoted)."""
    for path in paths:
        if not os.path.exists(path) and not _GLOB_CHARACTERS & set(path):
            raise click.BadParameter(f"{display_path(path)}: no such file or folder", ctx, param)
    return list(paths)


def _dataset_folder(ctx: click.Context, param: click.Parameter, path: Path) -> Path:
    """--out: a folder to create or write into, never an existing file."""
    if path.exists() and not path.is_dir():
        raise click.BadParameter(f"{display_path(path)} is a file, not a folder", ctx, param)
    return path


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version("provlytics"), "-V", "--version", prog_name="provlytics")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """Turn Microsoft Entra ID provisioning logs into analysable tables."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # also loggers created after the package's
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


@main.command("load")
@click.argument("paths", nargs=-1, required=True, callback=_existing_or_glob)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    callback=_dataset_folder,
    help="Dataset folder to write or merge into.",
)
@click.option(
    "--collect-errors",
    is_flag=True,
    help="Set bad records and unreadable files aside instead of stopping.",
)
@click.option(
    "--lock-timeout",
    type=float,
    default=LOCK_TIMEOUT,
    show_default=True,
    help="Seconds to wait while another process writes the store.",
)
def load_command(paths: list[str], out: Path, collect_errors: bool, lock_timeout: float) -> None:
    """Load saved provisioning data (any dialect) into the store (Delta tables).

    PATHS are files, folders, .zip archives or quoted patterns ("exports/*.json").
    """
    on_error = "collect" if collect_errors else "raise"
    manifest = load_to_parquet(paths, out, on_error=on_error, lock_timeout=lock_timeout)
    _echo_manifest(manifest, out)


@main.command("demo")
@click.option(
    "--samples",
    type=click.Path(exists=True, path_type=Path),
    default=SAMPLES,
    show_default=True,
    help="Sample data to load.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("report"),
    show_default=True,
    callback=_dataset_folder,
    help="Dataset folder to write.",
)
@click.option("--top", default=10, show_default=True, help="Rows of the failure summary.")
def demo_command(samples: Path, out: Path, top: int) -> None:
    """Load the bundled samples, print a failure summary, write the report."""
    manifest = load_to_parquet([samples], out)
    _echo_manifest(manifest, out)
    frames = read_parquet(out)
    columns = ["error_code", "target_system_name", "action"]
    summary = analysis.failure_summary(frames, by=columns, status="failure")
    warnings = int((frames.errors["status"] == "warning").sum())
    click.echo(
        f"\nTop failures ({int(summary['events'].sum())} failed events; "
        f"{warnings} warned events not counted):"
    )
    click.echo(summary[[*columns, "events", "identities"]].head(top).to_string(index=False))
    path = write_report(frames, out, parquet=False, scope=[f"Inputs: {samples.name}."])
    click.echo(f"\nReport: {path}")


main.add_command(fetch_command)
main.add_command(jobs_command)
main.add_command(on_demand_command)
main.add_command(rules_command)
main.add_command(report_command)


def _exit_process(code: object) -> None:
    """End the process now with `code` (click's exit code), output flushed first."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))


def _echo_manifest(manifest: dict, out: Path) -> None:
    counts = ", ".join(f"{k} {v}" for k, v in manifest["row_counts"].items())
    span = manifest["time_range"]
    click.echo(f"Wrote {display_path(out)}: {counts}")
    click.echo(
        f"Events from {span['start']} to {span['end']}; {manifest['records_read']} records "
        f"read, {manifest['row_counts'].get('events', 0)} distinct events kept"
    )
    if manifest.get("records_rejected"):
        click.echo(f"{manifest['records_rejected']} records rejected (see the log above)")
