"""The `report` command: logs or a Parquet folder in, a shareable report folder out.

Registered on the main group in `provlytics.cli`; the library is imported when it runs.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from provlytics.cli.defaults import KEY_VARIABLE
from provlytics.cli.paths import GLOB_CHARACTERS, existing_or_glob, new_dataset_folder
from provlytics.cli.times import time_form
from provlytics.errors import ConfigError, InputError, ProvlyticsError

if TYPE_CHECKING:
    from provlytics.tables import ProvisioningFrames

logger = logging.getLogger(__name__)


@click.command("report")
@click.argument("inputs", nargs=-1, required=True, callback=existing_or_glob)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    callback=new_dataset_folder(
        "the report's tables would merge into it while report.html describes only these inputs"
    ),
    help="Report folder to write (new, or without a dataset in it).",
)
@click.option(
    "--since",
    callback=time_form,
    help='First time included: "2026-11-18", an ISO 8601 time, "7d" (before the newest event).',
)
@click.option(
    "--until",
    callback=time_form,
    help="Time excluded from there on (same forms as --since).",
)
@click.option("--job", "jobs", multiple=True, metavar="JOB_ID", help="Only this job (repeatable).")
@click.option(
    "--pseudonymize",
    is_flag=True,
    help=f"Replace personal values with keyed tokens (key: ${KEY_VARIABLE}, never an option).",
)
def report_command(
    inputs: list[str],
    out: Path,
    since: str | None,
    until: str | None,
    jobs: tuple[str, ...],
    pseudonymize: bool,
) -> None:
    """Write the Parquet tables, summaries and report.html into OUT.

    INPUTS are log files, folders and patterns (any dialect), or one Parquet folder
    written by provlytics (recognised by its manifest.json).
    """
    _check_window(since, until)
    try:
        key = key_from_environment() if pseudonymize else None  # before any slow load
        from provlytics.report import write_report

        paths = [Path(p) for p in inputs]
        frames = _provisioning_data(read_inputs(paths), paths)
        _check_window(since, until, frames)
        frames = _narrowed(frames, since, until, jobs)
        if key is not None:
            frames = frames.pseudonymize(key)
        path = write_report(frames, out, scope=_scope(paths))
    except ProvlyticsError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Report: {path}")


def _check_window(
    since: str | None, until: str | None, frames: ProvisioningFrames | None = None
) -> None:
    """A usage error (exit 2) when --since is not before --until: two dates before any input
    is read (`frames` None), a duration (back from the newest event) once `frames` are."""
    from provlytics.timebounds import OPTIONS, is_relative, window_times

    if since is None or until is None:
        return
    if (is_relative(since) or is_relative(until)) == (frames is None):
        return  # a duration waits for the newest event; two dates were judged before
    newest = None
    if frames is not None and len(times := frames.table("events")["activity_time"]):
        import pyarrow.compute as pc

        newest = pc.max(times).as_py()
    try:
        window_times(since, until, newest, names=OPTIONS)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def read_inputs(inputs: Sequence[Path]) -> ProvisioningFrames:
    """One Parquet folder (it has a manifest.json) through `read_parquet`, else `load(inputs)`.

    Raises:
        click.UsageError: a Parquet folder is given together with other inputs (exit 2).
    """
    from provlytics.datasets import read_parquet
    from provlytics.loader import load
    from provlytics.parquet import MANIFEST
    from provlytics.sources.reading import display_path

    datasets = [p for p in inputs if (p / MANIFEST).is_file()]
    if not datasets:
        return load(list(inputs))
    if len(inputs) > 1:
        raise click.UsageError(
            f"{display_path(datasets[0])} is a provlytics store/snapshot (it has a "
            "manifest.json): give it alone, or give only log files and folders"
        )
    return read_parquet(datasets[0])


def _provisioning_data(frames: ProvisioningFrames, inputs: Sequence[Path]) -> ProvisioningFrames:
    """`frames`, unless they hold no event and no job snapshot (only empty pages, or
    provisionOnDemand responses without steps): an error before anything is written, as
    `load` gives.

    Raises:
        InputError: naming the inputs.
    """
    if frames.events.empty and frames.job_status.empty:
        read = frames.records_read
        raise InputError(
            ", ".join(_shown(p) for p in inputs),
            f"no provisioning data: {read} {'record' if read == 1 else 'records'} read, no "
            "event or job among them; nothing was written",
        )
    return frames


def _narrowed(
    frames: ProvisioningFrames, since: str | None, until: str | None, jobs: tuple[str, ...]
) -> ProvisioningFrames:
    """`filter_frames` of the options (a pseudonymized dataset stays marked as such).

    Raises:
        ConfigError: the options leave no event of the events given (a mistyped job id, a
            range outside the data): the message names a --job not present with the few
            jobs closest to it and their apps, then what the inputs hold (`_no_match`).
    """
    from provlytics.analysis import filter_frames

    with warnings.catch_warnings(record=True) as caught:  # a --job not in the data
        warnings.simplefilter("always")
        scoped = filter_frames(frames, since=since, until=until, job_id=list(jobs) or None)
    events = frames.events
    if scoped.events.empty and not events.empty:  # the error says it all: no warning
        raise ConfigError(_no_match(frames, since, until, jobs))
    for warning in caught:
        warnings.showwarning(warning.message, warning.category, "", 0)
    return scoped


def _no_match(
    frames: ProvisioningFrames, since: str | None, until: str | None, jobs: tuple[str, ...]
) -> str:
    """ "--job 'x' is not present in the inputs; present: A (Slack), ... (of 6 present); the
    inputs hold 2033 events from ... to ... UTC, of 6 jobs in 5 apps: ..." (a job not
    present, as the widgets say it: `notices.absent_message`), else "no event matches
    --since '2030-01-01'; the inputs hold ..." (`notices.held_facts`, as `filter_frames`
    warns)."""
    from provlytics.analysis.notices import absent_message, held_facts, job_apps
    from provlytics.timebounds import label

    events = frames.events
    present = sorted(set(events["job_id"].dropna()), key=str.casefold)
    apps = job_apps(events)
    known = {j.lower() for j in present}
    absent = [
        absent_message("--job", job, present, labels=apps, where="in the inputs")
        for job in jobs
        if job.lower() not in known
    ]
    given = [label(n, v) for n, v in (("--since", since), ("--until", until)) if v is not None]
    given += [f"--job {job!r}" for job in jobs]
    said = "; ".join(absent) if absent else f"no event matches {' and '.join(given)}"
    return f"{said}; the inputs hold {held_facts(frames.table('events'), apps=not absent)}"


def key_from_environment() -> str:
    """The pseudonymization key, from the environment only (a command line is visible to
    other users of the machine and kept in shell history).

    Raises:
        ConfigError: the variable is not set or empty.
    """
    key = os.environ.get(KEY_VARIABLE, "")
    if not key:
        raise ConfigError(
            f"--pseudonymize reads its key from the environment variable {KEY_VARIABLE} "
            "(at least 16 bytes, kept secret); it is not set"
        )
    return key


def _shown(path: Path) -> str:
    """An input as the page names it: its name; a pattern with its folder's name."""
    if GLOB_CHARACTERS & set(path.name) and path.parent.name:
        return f"{path.parent.name}/{path.name}"
    return path.name or str(path)


def _scope(inputs: Sequence[Path]) -> list[str]:
    """The page's line naming the inputs (`write_report` adds the one saying how the frames
    were narrowed: a snapshot's own steps, then this command's options)."""
    return [f"Inputs: {', '.join(_shown(p) for p in inputs)}."]
