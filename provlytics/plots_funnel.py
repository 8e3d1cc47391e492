"""`step_funnel`: where events pass, skip, warn or fail, step type by step type, per group."""

from __future__ import annotations

import logging
from numbers import Integral

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from provlytics.errors import ConfigError
from provlytics.plots_parts import (
    NONE_LABEL,
    STATUS_COLORS,
    axes_or_new,
    job_labels,
    no_data,
    require,
    set_title,
    short,
)

logger = logging.getLogger(__name__)

FUNNEL_STATUSES = tuple(STATUS_COLORS)  # success, skipped, warning, failure: the stack order
FUNNEL_TOP = 8
"""Groups `step_funnel` draws at most by default (those with the most failures and warnings)."""
_FUNNEL_COLUMNS = frozenset({"step_type", "events", *FUNNEL_STATUSES})
_FUNNEL_ROW_INCHES = 0.25
_FUNNEL_SCALE_TWICE = 24  # rows from which the event scale is drawn above the bars as well
_APP = "service_principal_name"
_FUNNEL_HEAD = 100  # characters of a group's head row (written across the plot: ~100 fit)


def step_funnel(
    funnel_df: pd.DataFrame,
    ax: Axes | None = None,
    *,
    top: int | None = FUNNEL_TOP,
    title: str | None = None,
) -> Axes:
    """Horizontal stacked bars per step type: success, skipped, warning, failure.

    With `by` columns (`analysis.step_funnel(frames, by="target_system_name")`, a list of
    columns, or the default `job_id`) each group gets its own block of bars under a bold row
    naming it (`by: value`, written across the plot), groups in the order given; `by=None`
    gives one funnel of all events. Of more than `top` groups, the `top` with the most
    failures and warnings (then events) are drawn, and the title's note says how many
    groups and events were left out ("8 of 30 groups, those with the most failures and
    warnings;" / "22 left out (864 events): top=None draws all"). A `job_id` is named as
    `cycle_failure_rate` names it (`plots_parts.job_labels`): by the template its id begins
    with, and by its app when `funnel_df` has a `service_principal_name` column
    (`by=["job_id", "service_principal_name", "action"]`: then the app is not a group of its
    own), so a head row reads "job id / action: Salesforce (salesforce) / create" rather
    than a cut-off id. The title's lines are broken at spaces so that the whole of it
    shows. A chart of many rows has the event scale above the bars as well as below.

    Args:
        funnel_df: `analysis.step_funnel(...)` result: [by], `step_type`, `events`, `success`,
            `skipped`, `warning`, `failure`.
        ax: Axes to draw on; a new figure when None (taller with more rows).
        top: How many groups to draw at most (None: all). A group's failures and warnings
            are summed over its step types; its events are those of its largest step type.
        title: Defaults to "Step funnel", or "Step funnel by <by>".

    Raises:
        ConfigError: not a DataFrame, a required column is missing (named, with the helper
            whose result the chart takes), or `top` is not a positive whole number or None.
    """
    require(funnel_df, ("step_type", *FUNNEL_STATUSES), "step_funnel", "pv.analysis.step_funnel")
    if top is not None and (isinstance(top, bool) or not isinstance(top, Integral) or top < 1):
        raise ConfigError(
            f"step_funnel(top={top!r}): give a whole number of groups from 1, or None"
        )
    keys = [c for c in funnel_df.columns if c not in _FUNNEL_COLUMNS]
    if "job_id" in keys and _APP in keys:  # the app is named in the job's label
        keys.remove(_APP)
    by = " / ".join(k.replace("_", " ") for k in keys) or None
    blocks, note = _funnel_blocks(funnel_df, keys, top)
    labels, heads, table = _funnel_rows(blocks, by)
    ax = axes_or_new(ax, width=9.0, height=max(3.5, 1.3 + _FUNNEL_ROW_INCHES * len(labels)))
    set_title(ax, title or _funnel_title(by), note)
    if funnel_df.empty:
        return no_data(ax)
    y = np.arange(len(labels))
    left = np.zeros(len(labels))
    for i, status in enumerate(FUNNEL_STATUSES):
        ax.barh(y, table[:, i], left=left, color=STATUS_COLORS[status], label=status)
        left += table[:, i]
    ax.set_xlim(0, max(left.max(), 1) * 1.05)  # the largest bar clear of the frame
    ax.set_yticks(y, labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)  # first row on top, no blank rows around the bars
    for at, head in heads:  # across the plot, where the block's bars begin
        where = ax.get_yaxis_transform()
        ax.text(0.01, at, head, transform=where, fontsize="small", fontweight="bold", va="center")
    if len(labels) > _FUNNEL_SCALE_TWICE:
        ax.tick_params(axis="x", top=True, labeltop=True)
    ax.set_xlabel("Events")
    ax.set_ylabel(f"{by} / step type" if by else "Step type")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def _funnel_title(by: str | None) -> str:
    return f"Step funnel by {by}" if by else "Step funnel"


def _funnel_blocks(
    funnel_df: pd.DataFrame, keys: list[str], top: int | None
) -> tuple[list[tuple[tuple, pd.DataFrame]], str]:
    """The groups of `funnel_df` (by `keys`, nulls as "(none)") in the order given, the `top`
    with the most failures and warnings (then events) kept, and the note saying what was left
    out ("" when nothing was)."""
    data = funnel_df.assign(step_type=funnel_df["step_type"].fillna(NONE_LABEL))
    for key in keys:
        data[key] = data[key].astype(object).where(data[key].notna(), NONE_LABEL).astype(str)
    if "job_id" in keys:  # "Salesforce (salesforce)", not 80 characters of id
        labels = job_labels(data["job_id"], data.get(_APP))
        data["job_id"] = data["job_id"].map(labels)
    if not keys:
        return [((), data)], ""
    blocks = list(data.groupby(keys, sort=False))
    if top is None or len(blocks) <= top:
        return blocks, ""
    sizes = np.array([pd.to_numeric(rows["events"]).max() for _, rows in blocks], dtype=float)
    failing = np.array([rows[["failure", "warning"]].to_numpy(float).sum() for _, rows in blocks])
    kept = np.sort(np.lexsort((-sizes, -failing))[:top])  # most failing first, then largest
    held = int(sizes.sum() - sizes[kept].sum())
    note = (
        f"{top} of {len(blocks)} groups, those with the most failures and warnings; "
        f"{len(blocks) - top} left out ({held:,} events): top=None draws all"
    )
    logger.info("step_funnel: %s", note)
    return [blocks[i] for i in kept], note


def _funnel_rows(
    blocks: list[tuple[tuple, pd.DataFrame]], by: str | None
) -> tuple[list[str], list[tuple[int, str]], np.ndarray]:
    """The y tick labels (step types; "" on a group's bold head row), the head rows with their
    text, and a (rows x statuses) table of bar widths."""
    labels: list[str] = []
    heads: list[tuple[int, str]] = []
    widths: list[np.ndarray] = []
    for group, rows in blocks:
        if by is not None:
            head = short(f"{by}: {' / '.join(map(str, group))}", _FUNNEL_HEAD)
            heads.append((len(labels), head))
            labels.append("")
            widths.append(np.zeros(len(FUNNEL_STATUSES)))
        totals = rows.groupby("step_type", sort=False)[list(FUNNEL_STATUSES)].sum()
        labels += [str(s) for s in totals.index]
        widths += list(totals.to_numpy(dtype=float))
    return labels, heads, np.array(widths).reshape(len(labels), len(FUNNEL_STATUSES))
