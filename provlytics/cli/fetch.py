"""`provlytics fetch`: provisioning logs from Microsoft Graph into a Parquet dataset.

Credentials come from the environment (`GraphClient.from_env`); each has an option of the same
meaning (`provlytics.graph.settings.ENV_SETTINGS`) that simply overrides its variable.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from provlytics.cli.defaults import DEFAULT_TOP
from provlytics.cli.graph import client_from_options, graph_options
from provlytics.cli.times import time_form
from provlytics.errors import ConfigError, ProvlyticsError
from provlytics.graph.odata import ACTIONS, STATUSES
from provlytics.timebounds import OPTIONS, parse_duration, window_times

logger = logging.getLogger(__name__)

SPOOL_FOLDER = ".spool"


def _length(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """`value` if `timebounds.parse_duration` takes it (--window: positive; --overlap: zero
    or more); else a usage error (exit 2) naming the option, before credentials are looked
    up, anything is written or Graph is asked."""
    try:
        parse_duration(value, f"--{param.name}", zero=param.name == "overlap")
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    return value


def _check_window(since: str | None, until: str | None) -> None:
    """A usage error (exit 2) when --since is not before --until (durations back from now)."""
    try:
        window_times(since, until, datetime.now(UTC), names=OPTIONS)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


@click.command("fetch")
@click.option(
    "--since",
    callback=time_form,
    help="Start: a date, an ISO 8601 time or a duration back from now ('7d', '12h', '2w').",
)
@click.option("--until", callback=time_form, help="End (exclusive), same forms; default: now.")
@click.option(
    "--status", type=click.Choice(STATUSES, case_sensitive=False), help="Only this status."
)
@click.option(
    "--action", type=click.Choice(ACTIONS, case_sensitive=False), help="Only this action."
)
@click.option("--job-id", help="Only this synchronization job.")
@click.option("--service-principal-id", help="Only this service principal (object id).")
@click.option("--identity", help="Only this source/target identity (display name or id).")
@click.option("--top", type=int, default=DEFAULT_TOP, show_default=True, help="Page size.")
@click.option(
    "--window",
    default="1d",
    show_default=True,
    callback=_length,
    help="First time slice fetched as a unit, a positive duration ('6h', '1d', '90min').",
)
@click.option(
    "--overlap",
    default="5m",
    show_default=True,
    callback=_length,
    help="How far before the watermark --incremental starts ('5m', '1h'; '0s': none).",
)
@click.option(
    "--out", required=True, type=click.Path(path_type=Path), help="Dataset folder to write/merge."
)
@click.option(
    "--spool",
    type=click.Path(path_type=Path),
    help=f"Folder for raw pages and the checkpoint [default: OUT/{SPOOL_FOLDER}].",
)
@click.option("--resume/--no-resume", default=True, show_default=True, help="Resume a stopped run.")
@click.option(
    "--incremental",
    is_flag=True,
    help="Only what is newer than the last completed fetch of the same filters fetched "
    "(its watermark, minus --overlap; first time: OUT's newest event; with no event yet, "
    "everything Graph keeps or --since).",
)
@click.option(
    "--max-wait",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds of waiting for rate limits/throttling accepted in total [default: no cap].",
)
@graph_options
def fetch_command(out: Path, spool: Path | None, **options: Any) -> None:
    """Fetch provisioning logs from Graph into a Parquet dataset, resumably."""
    _check_window(options["since"], options["until"])
    try:
        with client_from_options(options) as client:  # credentials first: said at once
            from provlytics.pipeline.fetch import fetch_logs

            frames = fetch_logs(
                client, spool=spool or out / SPOOL_FOLDER, out=out, on_start=click.echo, **options
            )
    except ProvlyticsError as exc:
        raise click.ClickException(str(exc)) from exc
    counts = ", ".join(f"{k} {v}" for k, v in frames.counts().items())
    read = frames.records_read
    click.echo(f"Fetched {read} {'record' if read == 1 else 'records'}: {counts}")
    click.echo(f"Wrote {out}")
