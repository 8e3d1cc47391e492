"""Static rendering for the widgets: HTML tables, PNG plots and text, no ipywidgets needed.

The same blocks feed the live view (as `display_data` outputs of an `ipywidgets.Output`) and the
static `text/html` / `text/plain` representations used where widget views cannot be drawn
(nbconvert HTML without the widget manager, GitHub's notebook viewer, a terminal).
"""

from __future__ import annotations

import base64
import html
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

MAX_ROWS = 10
"""Rows shown per table; the full table is always in the widget's `.result` or `.sections`."""
MAX_TEXT = 140
"""Characters shown per table cell; longer text is cut with an ellipsis (the data is not)."""

STYLE = (
    "<style>.pv-widget{font-family:sans-serif;font-size:13px}"
    ".pv-widget h4{margin:10px 0 4px 0}.pv-widget table{border-collapse:collapse}"
    ".pv-widget td,.pv-widget th{border:1px solid #ddd;padding:2px 6px;"
    "vertical-align:top;max-width:420px;text-align:left!important}.pv-widget th{background:#f3f3f3}"
    ".pv-controls{color:#444;margin-bottom:6px}.pv-failing{background:#fde2e1}"
    ".pv-headline{font-weight:bold;margin:4px 0}.pv-note{color:#444;margin:2px 0 4px 0}</style>"
)


@dataclass(frozen=True)
class Block:
    """One titled piece of a widget's view: a table, an HTML fragment or a PNG plot.

    Exactly one of `frame`, `html` and `png` is set; `note`, when set, is a line of text shown
    under the title (what the columns mean).
    """

    title: str
    frame: pd.DataFrame | None = None
    html: str | None = None
    png: bytes | None = None
    text: str = ""
    note: str = ""


@dataclass(frozen=True)
class Panel:
    """What a widget shows for its current control values.

    Attributes:
        headline: one line summing the answer up (e.g. "35 events, 12 identities", counted
            with `quantity`).
        result: the widget's answer, becomes `widget.result`.
        blocks: the tables, fragments and plots shown below the headline, in order.
    """

    headline: str
    result: pd.DataFrame
    blocks: list[Block] = field(default_factory=list)


def quantity(count: int, noun: str) -> str:
    """`count` and `noun` agreeing in number, as a headline counts: "1 event", "2,033 events",
    "1 identity", "19 identities", "0 apps".

    `noun` is the singular; its plural adds "s", or "ies" for a consonant and "y".
    """
    if count == 1:
        return f"1 {noun}"
    consonant_y = noun.endswith("y") and noun[-2:-1] not in tuple("aeiou")
    return f"{count:,} {noun[:-1] + 'ies' if consonant_y else noun + 's'}"


def table_block(
    title: str, frame: pd.DataFrame, columns: list[str] | None = None, *, note: str = ""
) -> Block:
    """A table block showing `columns` of `frame` (all when None, missing ones skipped),
    `note` under its title."""
    if columns is not None:
        frame = frame[[c for c in columns if c in frame.columns]]
    return Block(title, frame=frame, note=note)


def plot_block(
    heading: str, plot: Callable[..., Axes], data: pd.DataFrame, **options: Any
) -> Block:
    """A PNG block titled `heading`, drawn by a `pv.plots` function on its own Figure.

    `options` go to the plot function (e.g. its `title`); no pyplot state is touched.

    An empty `data` gives a text block instead of an empty chart.
    """
    if data.empty:
        return Block(heading, text="nothing to plot")
    figure = Figure(figsize=(9, 3.5), dpi=90)
    plot(data, ax=figure.subplots(), **options)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return Block(heading, png=buffer.getvalue())


def frame_html(frame: pd.DataFrame, *, max_rows: int = MAX_ROWS) -> str:
    """An HTML table of the first `max_rows` rows, with a note of how many were left out."""
    if frame.empty:
        return "<p><i>no rows</i></p>"
    shown = readable(frame.head(max_rows)).to_html(index=False, border=0, escape=True)
    left = len(frame) - max_rows
    return shown + (f"<p><i>… {quantity(left, 'more row')}</i></p>" if left > 0 else "")


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for display: times to the second (UTC), floats to 3 digits, long text cut,
    nulls blank."""
    shown = frame.copy()
    for column in shown.columns:
        values = shown[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            shown[column] = values.dt.strftime("%Y-%m-%d %H:%M:%S")
        elif pd.api.types.is_float_dtype(values.dtype):
            shown[column] = values.map(lambda v: "" if pd.isna(v) else f"{v:.3g}")
        elif pd.api.types.is_string_dtype(values.dtype):
            shown[column] = values.map(_cut, na_action="ignore")
    return shown.astype(object).where(shown.notna(), "")


def _cut(text: object) -> object:
    if isinstance(text, str) and len(text) > MAX_TEXT:
        return text[: MAX_TEXT - 1] + "…"
    return text


def block_html(block: Block) -> str:
    """One block as an HTML fragment (title, then its content)."""
    body = block.html
    if block.frame is not None:
        body = frame_html(block.frame)
    elif block.png is not None:
        data = base64.b64encode(block.png).decode("ascii")
        body = f'<img alt="{html.escape(block.title)}" src="data:image/png;base64,{data}"/>'
    elif body is None:
        body = f"<p><i>{html.escape(block.text)}</i></p>"
    note = f'<p class="pv-note">{html.escape(block.note)}</p>' if block.note else ""
    return f"<h4>{html.escape(block.title)}</h4>{note}{body}"


def block_text(block: Block, *, max_rows: int = 10) -> str:
    """One block as plain text (plots are named, not drawn)."""
    if block.frame is not None:
        body = (
            "(no rows)"
            if block.frame.empty
            else block.frame.head(max_rows).to_string(max_colwidth=40)
        )
    elif block.png is not None:
        body = "(plot)"
    else:
        body = block.text
    note = f"{block.note}\n" if block.note else ""
    return f"== {block.title}\n{note}{body}"


def controls_text(values: dict[str, Any]) -> str:
    """The control values as `name=value` pairs."""
    return ", ".join(f"{name}={value!r}" for name, value in values.items())


def panel_html(title: str, values: dict[str, Any], panel: Panel) -> str:
    """The whole widget as a static HTML fragment: title, control values, headline, blocks."""
    parts = [
        STYLE,
        '<div class="pv-widget">',
        f"<h3>{html.escape(title)}</h3>",
        f'<div class="pv-controls">{html.escape(controls_text(values))}</div>',
        f'<div class="pv-headline">{html.escape(panel.headline)}</div>',
        *(block_html(block) for block in panel.blocks),
        "</div>",
    ]
    return "".join(parts)


def panel_text(title: str, values: dict[str, Any], panel: Panel) -> str:
    """The whole widget as plain text."""
    lines = [f"{title}({controls_text(values)})", panel.headline]
    lines += [block_text(block) for block in panel.blocks]
    return "\n".join(lines)


def output_items(panel: Panel) -> tuple[dict[str, Any], ...]:
    """The panel as `display_data` outputs for an `ipywidgets.Output` (its `outputs` trait)."""
    items = [
        _display(
            {"text/html": STYLE + f'<div class="pv-headline">{html.escape(panel.headline)}</div>'}
        )
    ]
    for block in panel.blocks:
        if block.png is not None:
            title = f'<div class="pv-widget"><h4>{html.escape(block.title)}</h4></div>'
            items.append(_display({"text/html": title}))
            items.append(_display({"image/png": base64.b64encode(block.png).decode("ascii")}))
        else:
            fragment = f'<div class="pv-widget">{block_html(block)}</div>'
            items.append(_display({"text/html": fragment, "text/plain": block_text(block)}))
    return tuple(items)


def _display(data: dict[str, str]) -> dict[str, Any]:
    return {"output_type": "display_data", "data": data, "metadata": {}}
