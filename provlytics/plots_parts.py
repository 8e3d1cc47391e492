"""The pieces every chart of `pv.plots` is drawn with: its Axes, the "no data" note, the
check of the table it is given, UTC time axes, labels that fit and legends below the plot.
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Sequence

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib import rcParams
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.transforms import offset_copy

from provlytics.errors import ConfigError

logger = logging.getLogger(__name__)

STATUS_COLORS = {
    "success": "#2e7d32",
    "skipped": "#9e9e9e",
    "warning": "#f9a825",
    "failure": "#c62828",
}
NONE_LABEL = "(none)"
OTHER_LABEL = "(other)"
MAX_LABEL = 60
_LINE = 45  # characters on one line of a wrapped label
_TITLE_LINE = 60  # characters on one line of a title (a 9-inch chart shows ~90 over its plot)
_TWO_COLUMN_LABEL = 50
_LEGEND_ROW_INCHES = 0.2
_JOB_LABEL = 80  # characters of a job's legend label (its app name is shortened to fit)


def axes_or_new(ax: Axes | None, *, width: float, height: float) -> Axes:
    """The given Axes, or the Axes of a new figure (OO API: nothing registered with pyplot)."""
    if ax is not None:
        return ax
    return Figure(figsize=(width, height), layout="constrained").add_subplot()


def set_title(ax: Axes, *lines: str | None) -> None:
    """Title `ax` with `lines` (empty ones skipped), each broken at spaces into lines of at most
    `_TITLE_LINE` characters, so that a long note shows whole instead of running off the
    figure's edge (a title is centred over the plot, which the y labels push right)."""
    text = "\n".join(filter(None, lines))
    ax.set_title(
        "\n".join(
            textwrap.fill(line, _TITLE_LINE, break_long_words=False, break_on_hyphens=False)
            for line in text.split("\n")
        )
    )


def legend_below(ax: Axes, *, title: str, fit_figure: bool) -> None:
    """A legend under the Axes' x label, so that long labels leave the plot its width.

    Two columns when the labels are short, one when they are long (so that none runs off the
    figure). The legend hangs a fixed distance in points below the Axes (tick labels and x label
    above it), which the constrained layout then keeps inside the figure. When `fit_figure`
    (the chart made its own figure), the figure grows by the legend's rows.
    """
    labels = ax.get_legend_handles_labels()[1]
    ncols = 2 if max((len(t) for t in labels), default=0) <= _TWO_COLUMN_LABEL else 1
    rows = -(-len(labels) // ncols)
    if fit_figure:
        width, height = ax.figure.get_size_inches()
        ax.figure.set_size_inches(width, height + _LEGEND_ROW_INCHES * rows)
    below = 3 * FontProperties(size=rcParams["xtick.labelsize"]).get_size_in_points() + 12
    anchor = offset_copy(ax.transAxes, fig=ax.figure, y=-below, units="points")
    ax.legend(
        title=title,
        fontsize="small",
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        bbox_transform=anchor,
        ncols=ncols,
    )


def no_data(ax: Axes) -> Axes:
    ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", fontsize=14)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def require(df: object, columns: Sequence[str], chart: str, source: str) -> None:
    """ConfigError unless `df` is a DataFrame with `columns`: the message names the chart, the
    missing columns, `source` (the helper whose output the chart takes) and what `df` has."""
    if not isinstance(df, pd.DataFrame):
        raise ConfigError(f"{chart} takes the DataFrame {source} returns; got {kind(df)}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ConfigError(
            f"{chart} needs the column(s) {', '.join(missing)} of {source}'s result; "
            f"got a DataFrame with {', '.join(map(str, df.columns)) or 'no columns'}"
        )


def kind(value: object) -> str:
    return "None" if value is None else f"a {type(value).__name__}"


def utc_naive(times: pd.Index | pd.Series) -> np.ndarray:
    """datetime64 values in UTC without a zone (what `mdates.date2num` wants)."""
    values = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
    return values.tz_convert("UTC").tz_localize(None).to_numpy()


def time_axis(ax: Axes, label: str) -> None:
    """Dates on the x axis in UTC, concise labels (no repeated year/month, no overlap)."""
    ax.xaxis.axis_date("UTC")
    locator = mdates.AutoDateLocator(tz="UTC", minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz="UTC"))
    ax.set_xlabel(label)


def wrapped(parts: Sequence[str]) -> str:
    """`parts` joined by " / ", on lines of at most `_LINE` characters (a line breaks after a
    " /"; a part longer than `MAX_LABEL` is shortened), so that no label is cut off."""
    lines: list[str] = []
    for part in map(short, parts):
        if lines and len(lines[-1]) + 3 + len(part) <= _LINE:
            lines[-1] += " / " + part
        else:
            lines.append(part)
    return " /\n".join(lines)


def short(text: str, most: int = MAX_LABEL) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def job_labels(jobs: pd.Series, apps: pd.Series | None) -> dict[str, str]:
    """A legend label for each job id of `jobs` ("(none)" for no job): its app (the first of
    `apps` its rows name) and the template its id begins with, "Slack (slack)"; jobs whose
    labels would be equal also name the start of their own id (its last dot-separated part):
    "Workday to AD (Workday2AD, cd73de00)", or are labelled with the whole id if even that is
    shared."""
    names = apps.astype(object) if apps is not None else pd.Series(None, index=jobs.index)
    app_of = names.groupby(jobs, sort=True).first().to_dict()
    labels = {job: _job_label(job, app_of.get(job), "") for job in sorted(set(jobs))}
    for job in _shared(labels):
        labels[job] = _job_label(job, app_of.get(job), job.rsplit(".", 1)[-1][:8])
    for job in _shared(labels):
        labels[job] = short(job, _JOB_LABEL)
    return labels


def _shared(labels: dict[str, str]) -> list[str]:
    """The keys of `labels` whose label another key has too."""
    counts = pd.Series(labels.values()).value_counts()
    return [key for key, label in labels.items() if counts[label] > 1]


def _job_label(job: str, app: object, own: str) -> str:
    """ "App (template)", "App (template, own)", "template (own)" or "template"; a long app
    name is shortened, never the part in parentheses."""
    if job == NONE_LABEL:
        return NONE_LABEL
    template = short(job.split(".", 1)[0])
    inner = f"{template}, {own}" if own else template
    if not isinstance(app, str) or not app.strip():
        return f"{template} ({own})" if own else template
    room = max(_JOB_LABEL - len(inner) - 3, 12)
    return f"{short(app.strip(), room)} ({inner})"
