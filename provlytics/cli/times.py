"""The callback of the commands' `--since`/`--until` options (`fetch`, `report`)."""

from __future__ import annotations

import click

from provlytics.errors import ConfigError


def time_form(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """`value` if `timebounds.parse_time` reads it; else a usage error (exit 2) naming the
    option, before any input is read, Graph is asked or anything is written."""
    if value is not None:
        from provlytics.timebounds import parse_time

        try:
            parse_time(value, name=f"--{param.name}")
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from None
    return value
