"""The `jobs` and `rules` commands: job status (quarantine highlighted), live or from a saved
job list, and the synchronization rules on-demand provisioning needs.

Registered on the main group in `provlytics.cli`; credentials as in `provlytics.cli.graph`;
pandas and the library are imported when a command runs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from provlytics.cli.graph import FIND_SP_ID, client_from_options, graph_hint, graph_options
from provlytics.errors import GraphError, ProvlyticsError

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

__all__ = ["jobs_command", "rules_command"]

_PATH_LIKE = (".json", ".gz", ".zip", ".jsonl", ".ndjson")


@click.command("jobs")
@click.argument("service_principal_id", required=False)
@click.option(
    "--file",
    "files",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="Read a saved job list (GET .../synchronization/jobs as JSON) instead of asking Graph; "
    "repeatable; logs given too (files or folders) supply the app names.",
)
@click.option("--watch", "watch", metavar="JOB_ID", help="Poll this job until its state changes.")
@click.option(
    "--until-not",
    multiple=True,
    default=("NotRun",),
    show_default=True,
    help="Status codes to wait through with --watch (repeatable).",
)
@click.option("--timeout", default=600.0, show_default=True, help="Seconds to watch at most.")
@click.option("--interval", default=30.0, show_default=True, help="Seconds between polls.")
@graph_options
def jobs_command(
    service_principal_id: str | None,
    files: tuple[Path, ...],
    watch: str | None,
    until_not: tuple[str, ...],
    timeout: float,
    interval: float,
    **settings: Any,
) -> None:
    """Show the provisioning jobs of a service principal, quarantine highlighted.

    SERVICE_PRINCIPAL_ID asks Graph; a file path there (or --file) reads a saved job list.
    """
    paths = list(files)
    if service_principal_id is not None and _is_path(service_principal_id):
        paths.append(Path(service_principal_id))
        service_principal_id = None
    if not paths and service_principal_id is None:
        raise click.UsageError(f"give a service principal id or --file PATH; {FIND_SP_ID}")
    if paths and service_principal_id is not None:
        raise click.UsageError("give a service principal id or --file PATH, not both")
    if paths and watch is not None:
        raise click.UsageError("--watch asks Graph: give the service principal id, not a file")
    if paths:
        frame, names = _saved_jobs(paths)
    else:
        frame, names = _live_jobs(
            service_principal_id, watch, until_not, timeout, interval, settings
        )
    _echo_jobs(frame, names)
    if frame.attrs.get("timed_out"):
        click.echo(f"Still {frame.iloc[-1]['status_code']} after {timeout:.0f} s.", err=True)


def _is_path(argument: str) -> bool:
    """Whether the positional argument names a file rather than a service principal id."""
    return (
        Path(argument).exists()
        or any(sep in argument for sep in ("/", "\\"))
        or argument.lower().endswith(_PATH_LIKE)
    )


def _live_jobs(
    sp_id: str,
    watch: str | None,
    until_not: tuple[str, ...],
    timeout: float,
    interval: float,
    settings: dict[str, Any],
) -> tuple[pd.DataFrame, dict[str, str]]:
    try:
        with client_from_options(settings) as client:  # credentials first: said at once
            from provlytics.operations import service_principal_name
            from provlytics.pipeline.jobs import job_status, watch_job

            if watch is None:
                frame = job_status(client, sp_id)
            else:
                frame = watch_job(
                    client, sp_id, watch, until_not=until_not, timeout=timeout, interval=interval
                )
            name = service_principal_name(client, sp_id)
    except GraphError as exc:
        raise click.ClickException(graph_hint(exc, sp_id)) from exc
    except ProvlyticsError as exc:
        raise click.ClickException(str(exc)) from exc
    return frame, ({sp_id: name} if name else {})


def _saved_jobs(paths: Sequence[Path]) -> tuple[pd.DataFrame, dict[str, str]]:
    """The job_status rows of saved files, and app names from any logs loaded with them."""
    from provlytics.loader import load

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise click.ClickException(f"no such file or folder: {', '.join(missing)}")
    try:
        frames = load(list(paths), progress=False)
    except (ProvlyticsError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    if frames.job_status.empty:
        shown = ", ".join(str(p) for p in paths)
        raise click.ClickException(
            f"no synchronization jobs in {shown}: expected a saved response of "
            "GET /servicePrincipals/{id}/synchronization/jobs"
        )
    return frames.job_status, _names_in_logs(frames.events)


def _names_in_logs(events: pd.DataFrame) -> dict[str, str]:
    """Service principal id -> app name, as the provisioning logs spell it."""
    known = events.dropna(subset=["service_principal_id", "service_principal_name"])
    first = known.drop_duplicates("service_principal_id")
    return dict(zip(first["service_principal_id"], first["service_principal_name"], strict=True))


def _echo_jobs(frame: pd.DataFrame, names: dict[str, str]) -> None:
    """The jobs grouped by app (named apps first, by name), each job's snapshots in time order."""
    import pandas as pd

    if frame.empty:
        click.echo("No synchronization jobs.")
        return
    frame = frame.sort_values(["job_id", "observed_time"], kind="stable", ignore_index=True)
    owners = pd.Series([v if isinstance(v, str) else None for v in frame["service_principal_id"]])
    for sp_id in sorted(set(owners), key=lambda sp: _owner_order(sp, names)):
        rows = frame[owners.isna()] if sp_id is None else frame[owners == sp_id]
        click.echo(_owner_line(sp_id, names))
        for _, row in rows.iterrows():
            click.echo(_job_line(row))
            if _value(row["status_code"]) == "Quarantine" or _present(row["quarantine_reason"]):
                click.echo(_quarantine_line(row))


def _owner_order(sp_id: str | None, names: dict[str, str]) -> tuple[bool, bool, str, str]:
    name = names.get(sp_id) if sp_id else None
    return (sp_id is None, name is None, (name or "").casefold(), sp_id or "")


def _owner_line(sp_id: str | None, names: dict[str, str]) -> str:
    if sp_id is None:
        return f"App unknown, service principal unknown ({FIND_SP_ID})"
    name = names.get(sp_id)
    return click.style(f"{name or 'App name unknown'}  (service principal {sp_id})", bold=True)


def _job_line(row: pd.Series) -> str:
    parts = [
        f"  {_value(row['observed_time'])}",
        f"{_value(row['job_id'])}",
        f"status={_value(row['status_code'])}",
        f"schedule={_value(row['schedule_state'])}/{_value(row['schedule_interval'])}",
        f"last run={_value(row['last_execution_state'])}",
        f"ended {_value(row['last_execution_ended'])}",
    ]
    return "  ".join(parts)


def _quarantine_line(row: pd.Series) -> str:
    since = row["quarantine_series_began"]
    if not _present(since):
        since = row["quarantine_current_began"]
    text = (
        f"    QUARANTINED reason={_value(row['quarantine_reason'])}"
        f" since {_value(since)}"
        f" next attempt {_value(row['quarantine_next_attempt'])}"
        f" (series {_value(row['quarantine_series_count'])})"
    )
    for code, message in _errors(row):
        text += f"\n    {code}: {_value(message)}"
    return click.style(text, fg="red", bold=True)


def _errors(row: pd.Series) -> list[tuple[str, Any]]:
    """The quarantine's own error, then the last run's when it differs."""
    errors: list[tuple[str, Any]] = []
    for prefix in ("quarantine_error", "last_error"):
        code, message = row[f"{prefix}_code"], row[f"{prefix}_message"]
        if _present(code) and (code, message) not in errors:
            errors.append((code, message))
    return errors


def _present(value: Any) -> bool:
    import pandas as pd

    return not pd.isna(value)


def _value(value: Any) -> str:
    return str(value) if _present(value) else "-"


@click.command("rules")
@click.argument("service_principal_id", required=False)
@click.argument("job_id", required=False)
@graph_options
def rules_command(service_principal_id: str | None, job_id: str | None, **settings: Any) -> None:
    """List the synchronization rules of one job, or of every job of the app.

    The rule id is what `provlytics on-demand --rule` needs.
    """
    if service_principal_id is None:
        raise click.UsageError(f"give the service principal id; {FIND_SP_ID}")
    try:
        with client_from_options(settings) as client:  # credentials first: said at once
            from provlytics.operations import job_rules

            rules = job_rules(client, service_principal_id, job_id)
    except GraphError as exc:
        raise click.ClickException(graph_hint(exc, service_principal_id)) from exc
    except ProvlyticsError as exc:
        raise click.ClickException(str(exc)) from exc
    if not rules:
        click.echo("No synchronization rules." if job_id else "No synchronization jobs or rules.")
        return
    for job in dict.fromkeys(rule["job_id"] for rule in rules):
        click.echo(click.style(job, bold=True))
        for rule in (r for r in rules if r["job_id"] == job):
            click.echo(_rule_line(rule))


def _rule_line(rule: dict[str, Any]) -> str:
    on_demand = {True: "yes", False: "no", None: "not stated"}[rule["supports_provision_on_demand"]]
    return (
        f"  {rule['id']}  {rule['name']}  "
        f"{rule['source_directory']} -> {rule['target_directory']}  "
        f"priority {rule['priority']}  on-demand: {on_demand}"
    )
