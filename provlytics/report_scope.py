"""The report's line saying how its frames were narrowed, read from `frames.narrowed` (the
steps `pv.analysis.filter_frames` recorded, a snapshot's own first): the same line whether
the page is written by `provlytics report --since/--until/--job` or by `pv.write_report`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from provlytics.timebounds import is_relative

logger = logging.getLogger(__name__)

_BY_VALUE = (
    ("job_id", "job"),
    ("target_system", "target system"),
    ("service_principal", "app"),
)


def narrowing_line(steps: Sequence[dict[str, Any]] | None) -> str | None:
    """Each step of `frames.narrowed` in order, a duration with the time it stood for:
    "Narrowed to since 1d (2026-11-21 23:51 UTC), job j1; then target system Slack.";
    None when the frames were never narrowed."""
    shown = [", ".join(parts) for parts in map(_step_parts, steps or []) if parts]
    return "Narrowed to " + "; then ".join(shown) + "." if shown else None


def _step_parts(step: dict[str, Any]) -> list[str]:
    """A step as parts of the line ("since 7d (...)", "job j1, j2")."""
    parts = [_bound("since", step), _bound("until", step)]
    parts += [f"{word} {', '.join(step[key])}" for key, word in _BY_VALUE if step.get(key)]
    return [part for part in parts if part]


def _bound(name: str, step: dict[str, Any]) -> str:
    """ "since 2026-11-18", or "since 7d (2026-11-15 23:51 UTC)" for a duration; "" if none."""
    value = step.get(name)
    if not value:
        return ""
    time = step.get(f"{name}_utc") if is_relative(value) else None
    return f"{name} {value}" + (
        f" ({datetime.fromisoformat(time):%Y-%m-%d %H:%M} UTC)" if time else ""
    )
