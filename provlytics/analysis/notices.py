"""The warnings the helpers give a user: a `UserWarning` (shown in scripts and notebooks
alike, where the library's log is silent until configured) pointing at the user's line; and
the closest values present, for a value the data lacks."""

from __future__ import annotations

import difflib
import logging
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from provlytics.user_warnings import caller_level

logger = logging.getLogger(__name__)

SHOWN = 3  # values an absent value's message names


def closest(
    present: Iterable[object],
    value: str,
    *,
    n: int = 3,
    cutoff: float = 0.4,
    key: Callable[[str], str] = str.lower,
) -> list[str]:
    """Up to `n` text values of `present` closest to `value`, closest first, compared by `key`
    (default: case-insensitively) with difflib's ratio of at least `cutoff`; of values alike
    under `key`, the first in sorted order."""
    by_key: dict[str, str] = {}
    for candidate in sorted(v for v in present if isinstance(v, str)):
        by_key.setdefault(key(candidate), candidate)
    close = difflib.get_close_matches(key(value), list(by_key), n=n, cutoff=cutoff)
    return [by_key[c] for c in close]


def warn_user(message: str, close: Iterable[str] = ()) -> None:
    """A `UserWarning` of `message`, then "; closest present: a, b" when `close` names any,
    at the user's line (`caller_level`)."""
    shown = ", ".join(close)
    hint = f"; closest present: {shown}" if shown else ""
    warnings.warn(message + hint, UserWarning, stacklevel=caller_level())


def warn_absent(what: str, value: str, present: Iterable[object]) -> None:
    """Warn that `value`, a `what` ("error code", "job_id", ...), is not present in the data:
    "job_id 'nosuchjob' is not present in this data; closest present: ..." naming the
    closest of `present` (`closest`, when any is close)."""
    warn_user(f"{what} {value!r} is not present in this data", closest(present, value))


def job_apps(events: Any) -> dict[str, str]:
    """job_id -> the app (`service_principal_name`) its first event naming one names, from
    an `events` DataFrame; jobs without an app are left out. The labels `absent_message`
    gives jobs, in the widgets' job dropdowns and `provlytics report --job`."""
    if "job_id" not in events.columns or "service_principal_name" not in events.columns:
        return {}
    named = events.dropna(subset=["job_id", "service_principal_name"])
    apps = named.groupby(named["job_id"].astype(str), sort=False)["service_principal_name"]
    return {job: str(app) for job, app in apps.first().items() if str(app).strip()}


def absent_message(
    what: str,
    value: Any,
    offered: list[str],
    *,
    labels: Mapping[str, str] | None = None,
    where: str = "here",
) -> str:
    """ "Job 'X' is not present here; closest: A (Slack) (of 6 present)" for a value not among
    the values present: the few (`SHOWN`) closest to it, each with its label in `labels` (a
    job's app) when it has one. First those it names (`_named`: "slack" or "Slack" for
    "slack.f38b...", whose template or app it is), then those alike (`closest`); when none
    is close, the labels present ("none of the 6 present is close; their apps: Salesforce,
    Slack"), else the first few values. Never the whole list (full job ids are ~80
    characters each). The widgets' dropdowns and `provlytics report --job` say it so."""
    close = _named(offered, str(value), labels)
    close += [v for v in closest(offered, str(value), n=SHOWN, cutoff=0.6) if v not in close]
    close = close[:SHOWN]
    if close:
        shown = ", ".join(_labelled(v, labels) for v in close)
        return (
            f"{what} {value!r} is not present {where}; closest: {shown} (of {len(offered)} present)"
        )
    kinds = sorted({labels[v] for v in offered if labels and labels.get(v)}, key=str.casefold)
    if kinds:
        return (
            f"{what} {value!r} is not present {where}; none of the {len(offered)} present is "
            f"close; their apps: {_few(kinds, 10)}"
        )
    return (
        f"{what} {value!r} is not present {where}; present: {_few(offered, SHOWN) or 'none'} "
        f"(of {len(offered)} present)"
    )


def _named(
    offered: Iterable[str], value: str, labels: Mapping[str, str] | None = None
) -> list[str]:
    """The values of `offered` that `value` names, in sorted order: a job id whose template
    (its part before the first ".": "slack" of "slack.f38b...") or whose label in `labels`
    (its app, "Slack") is `value`, compared case-insensitively."""
    wanted = value.strip().casefold()
    if not wanted:  # an unlabelled job's label is no name
        return []
    return sorted(
        v
        for v in offered
        if wanted in (v.split(".", 1)[0].casefold(), str((labels or {}).get(v, "")).casefold())
    )


def _few(values: list[str], n: int) -> str:
    """The first `n` of `values`, then ", ..." when there are more."""
    return ", ".join(values[:n]) + (", ..." if len(values) > n else "")


def _labelled(value: str, labels: Mapping[str, str] | None) -> str:
    label = (labels or {}).get(value)
    return f"{value} ({label})" if label else value


def held_facts(events: pa.Table, *, apps: bool = True) -> str:
    """What `events` (the `events` table, Arrow) hold, for a narrowing that kept none of them:
    "2033 events from 2026-11-14 00:04 to 2026-11-22 23:51 UTC, of 6 jobs in 5 apps:
    Contoso Expenses (SCIM), Salesforce, ..." (the apps: service principal names, up to 10;
    not named when `apps` is false)."""
    times = events["activity_time"]
    first, last = pc.min(times).as_py(), pc.max(times).as_py()
    span = f" from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC" if first else ""
    jobs = pc.count_distinct(events["job_id"]).as_py()
    names = sorted(
        (a for a in pc.unique(events["service_principal_name"]).to_pylist() if a),
        key=str.casefold,
    )
    named = f": {_few(names, 10)}" if names and apps else ""
    return (
        f"{_count(events.num_rows, 'event')}{span}, of {_count(jobs, 'job')} in "
        f"{_count(len(names), 'app')}{named}"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
