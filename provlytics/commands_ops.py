"""The `jobs` and `on-demand` commands: job status (quarantine highlighted) and provisioning now.

Registered on the main group in `provlytics.cli`; credentials as in `provlytics.commands_graph`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click
import pandas as pd

from provlytics.commands_graph import client_from_options, graph_options
from provlytics.errors import ProvlyticsError
from provlytics.operations import OnDemandBatch, provision_on_demand_batch
from provlytics.sources.jobs import job_status, watch_job

logger = logging.getLogger(__name__)


@click.command("jobs")
@click.argument("service_principal_id")
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
    service_principal_id: str,
    watch: str | None,
    until_not: tuple[str, ...],
    timeout: float,
    interval: float,
    **settings: Any,
) -> None:
    """Show the provisioning jobs of a service principal, quarantine highlighted."""
    try:
        with client_from_options(settings) as client:
            if watch is None:
                frame = job_status(client, service_principal_id)
            else:
                frame = watch_job(
                    client,
                    service_principal_id,
                    watch,
                    until_not=until_not,
                    timeout=timeout,
                    interval=interval,
                )
    except ProvlyticsError as exc:
        raise click.ClickException(str(exc)) from exc
    _echo_jobs(frame)
    if frame.attrs.get("timed_out"):
        click.echo(f"Still {frame.iloc[-1]['status_code']} after {timeout:.0f} s.", err=True)


def _echo_jobs(frame: pd.DataFrame) -> None:
    if frame.empty:
        click.echo("No synchronization jobs.")
        return
    for _, row in frame.iterrows():
        click.echo(_job_line(row))
        if _value(row["status_code"]) == "Quarantine" or _present(row["quarantine_reason"]):
            click.echo(_quarantine_line(row))


def _job_line(row: pd.Series) -> str:
    parts = [
        f"{_value(row['observed_time'])}",
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
        f"  QUARANTINED reason={_value(row['quarantine_reason'])}"
        f" since {_value(since)}"
        f" next attempt {_value(row['quarantine_next_attempt'])}"
        f" (series {_value(row['quarantine_series_count'])})"
    )
    for code, message in _errors(row):
        text += f"\n  {code}: {_value(message)}"
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
    return not pd.isna(value)


def _value(value: Any) -> str:
    return str(value) if _present(value) else "-"


@click.command("on-demand")
@click.argument("service_principal_id")
@click.argument("job_id")
@click.option("--rule", "rule_id", required=True, help="Synchronization rule id (job schema).")
@click.option("--user", "users", multiple=True, metavar="OBJECT_ID", help="User (repeatable).")
@click.option("--group", "group_id", metavar="GROUP_ID", help="One group to provision.")
@click.option("--member", "members", multiple=True, metavar="ID", help="Group member (max 5).")
@click.option(
    "--save",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the returned events as a Parquet dataset into this folder.",
)
@graph_options
def on_demand_command(
    service_principal_id: str,
    job_id: str,
    rule_id: str,
    users: tuple[str, ...],
    group_id: str | None,
    members: tuple[str, ...],
    save: Path | None,
    **settings: Any,
) -> None:
    """Provision users (or one group and some members) now and print each verdict.

    Exits with status 1 when any subject failed.
    """
    subjects = _cli_subjects(users, group_id, members)
    try:
        with client_from_options(settings) as client:
            batch = provision_on_demand_batch(
                client, service_principal_id, job_id, rule_id, subjects
            )
        if save is not None:
            batch.frames.to_parquet(save)
    except ProvlyticsError as exc:
        raise click.ClickException(str(exc)) from exc
    _echo_batch(batch, subjects)
    if save is not None:
        click.echo(f"Wrote {save}")
    if not batch.ok:
        raise click.exceptions.Exit(1)


def _cli_subjects(
    users: tuple[str, ...], group_id: str | None, members: tuple[str, ...]
) -> list[str | dict[str, Any]]:
    if members and not group_id:
        raise click.UsageError("--member needs --group")
    if not users and not group_id:
        raise click.UsageError("give at least one --user or a --group")
    subjects: list[str | dict[str, Any]] = list(users)
    if group_id:
        group: dict[str, Any] = {"objectId": group_id, "objectTypeName": "Group"}
        if members:
            group["links"] = {
                "members": [{"objectId": m, "objectTypeName": "User"} for m in members]
            }
        subjects.append(group)
    return subjects


_COLORS = {"success": "green", "skipped": "yellow", "failure": "red"}


def _echo_batch(batch: OnDemandBatch, subjects: list[str | dict[str, Any]]) -> None:
    failures = {f.object_id: f for f in batch.failures}
    for subject in subjects:
        object_id = subject if isinstance(subject, str) else subject["objectId"]
        result = batch.results.get(object_id)
        if result is None:
            line = f"{object_id}: ERROR {failures[object_id].reason}"
            click.echo(click.style(line, fg="red"))
            continue
        verdict = click.style(result.result, fg=_COLORS.get(result.result.lower()))
        detail = " ".join(x for x in (result.error_code, result.message) if x)
        click.echo(f"{object_id}: {verdict}" + (f" {detail}" if detail else ""))
