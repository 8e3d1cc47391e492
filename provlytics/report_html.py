"""HTML building blocks of the report: one self-contained page, every value escaped.

Data comes from logs, so any name may hold markup (`<script>`): every value passes through
`html.escape` here, and the page's Content-Security-Policy forbids scripts and every request
that is not a `data:` image, so a slip could not run or fetch anything either.
"""

from __future__ import annotations

import base64
import html
import io
import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
MAX_ROWS = 25
MAX_TEXT = 160
_PERCENT_SUFFIXES = ("share", "rate", "risk")

CSS = """
:root { color-scheme: light; --fg: #1b1b1b; --muted: #5f6368; --line: #d9dce0; --bad: #c62828;
  --warn: #8a6d00; --ok: #2e7d32; --bg-alt: #f5f6f7; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 1rem; color: var(--fg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  overflow-wrap: break-word; }
h1 { font-size: 1.6rem; margin: 0.2rem 0; }
h2 { font-size: 1.25rem; margin: 0; padding-top: 0.5rem; border-top: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1rem 0 0.3rem; }
header p, .note { color: var(--muted); margin: 0.2rem 0; }
nav ul { display: flex; flex-wrap: wrap; gap: 0.3rem 1rem; padding: 0; list-style: none; }
section { margin: 1.5rem 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr));
  gap: 0.6rem; margin: 0.8rem 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem 0.7rem; }
.card .label { color: var(--muted); font-size: 0.85rem; }
.card .value { font-size: 1.3rem; font-weight: 600; overflow-wrap: anywhere; }
.card.bad .value { color: var(--bad); } .card.warn .value { color: var(--warn); }
.card.ok .value { color: var(--ok); }
figure { margin: 0.8rem 0; } figure img { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 0.85rem; }
.scroll { overflow: auto; max-width: 100%; max-height: min(34rem, 75vh); margin: 0.4rem 0;
  border: 1px solid var(--line); }
table { border-collapse: collapse; font-size: 0.85rem; width: max-content; }
th, td { border-bottom: 1px solid var(--line); padding: 0.25rem 0.5rem; text-align: left;
  vertical-align: top; overflow-wrap: break-word; }
td.long { min-width: 16rem; max-width: 26rem; } td.time { white-space: nowrap; }
th { background: var(--bg-alt); position: sticky; top: 0; z-index: 1; vertical-align: bottom; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
ul.plain { padding-left: 1.2rem; margin: 0.3rem 0; }
@media (max-width: 640px) {
  body { padding: 0.5rem; font-size: 14px; }
  .cards { grid-template-columns: repeat(2, 1fr); }
  th, td { padding: 0.2rem 0.3rem; }
  /* each row a card of "column: value" lines, so that no column is off to the right */
  .scroll table, .scroll tbody, .scroll tr, .scroll td { display: block; width: auto; }
  .scroll thead { display: none; }
  .scroll tr { border-bottom: 2px solid var(--line); padding: 0.2rem 0; }
  .scroll td, .scroll td.long { border: 0; min-width: 0; max-width: none; text-align: left;
    white-space: normal; padding: 0.05rem 0.4rem; }
  .scroll td::before { content: attr(data-label) ": "; color: var(--muted); }
}
@media print { nav { display: none; } th { position: static; }
  .scroll { max-height: none; overflow: visible; } }
"""


@dataclass(frozen=True)
class Card:
    """One overview figure: a label, its value already formatted, and a tone (bad/warn/ok/"")."""

    label: str
    value: str
    tone: str = ""


@dataclass
class Section:
    """One `<section id=...>` of the page: a heading and its HTML blocks, in order."""

    id: str
    heading: str
    blocks: list[str] = field(default_factory=list)

    def add(self, block: str) -> Section:
        """Append an HTML block (built with this module's functions, so already escaped)."""
        self.blocks.append(block)
        return self

    def to_html(self) -> str:
        """The section's markup."""
        inner = "\n".join(self.blocks)
        return f'<section id="{esc(self.id)}">\n<h2>{esc(self.heading)}</h2>\n{inner}\n</section>'


def esc(value: object) -> str:
    """HTML-escaped text of any value (quotes included, so it is safe in attributes too)."""
    return html.escape(str(value), quote=True)


def paragraph(text: str, *, css_class: str = "note") -> str:
    """A `<p>` of plain (escaped) text."""
    return f'<p class="{esc(css_class)}">{esc(text)}</p>'


def heading(text: str) -> str:
    """A sub-heading inside a section."""
    return f"<h3>{esc(text)}</h3>"


def bullet_list(items: Iterable[str]) -> str:
    """A `<ul>` of plain (escaped) text items."""
    lines = "".join(f"<li>{esc(item)}</li>" for item in items)
    return f'<ul class="plain">{lines}</ul>'


def cards(items: Sequence[Card]) -> str:
    """The overview figures as a responsive grid of cards."""
    parts = [
        f'<div class="card {esc(c.tone)}"><div class="label">{esc(c.label)}</div>'
        f'<div class="value">{esc(c.value)}</div></div>'
        for c in items
    ]
    return '<div class="cards">' + "".join(parts) + "</div>"


def figure(ax: Axes, caption: str, *, dpi: int = 100) -> str:
    """The Axes' figure as an embedded PNG (`data:` URI), with an alt text and a caption."""
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{esc(caption)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def table(
    df: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    max_rows: int = MAX_ROWS,
    full_table: str | None = None,
    empty: str = "None found.",
) -> str:
    """An HTML table of the first `max_rows` rows, every cell escaped.

    Args:
        df: The rows to show.
        columns: Columns to show, in order (those absent from `df` are left out); all when None.
        max_rows: Rows shown; a note says how many there are and where the rest is.
        full_table: Relative path of the complete table, named in that note.
        empty: Text shown instead of an empty table.
    """
    if df.empty:
        return paragraph(empty)
    shown = [c for c in (columns or df.columns) if c in df.columns]
    head = "".join(f'<th title="{esc(c)}">{esc(str(c).replace("_", " "))}</th>' for c in shown)
    rows = df[shown].head(max_rows).itertuples(index=False)
    body = "\n".join(_row(values, shown) for values in rows)
    block = f'<div class="scroll"><table><thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n'
    block += "</tbody></table></div>"
    if len(df) > max_rows:
        where = f"; all of them in {full_table}" if full_table else ""
        block += paragraph(f"Showing {max_rows} of {len(df):,} rows{where}.")
    return block


def page(title: str, subtitle: Sequence[str], sections: Sequence[Section]) -> str:
    """The whole document: head (charset, viewport, CSP, inline CSS), header, nav, sections."""
    nav = "".join(f'<li><a href="#{esc(s.id)}">{esc(s.heading)}</a></li>' for s in sections)
    lines = "".join(f"<p>{esc(line)}</p>" for line in subtitle)
    body = "\n".join(s.to_html() for s in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{esc(title)}</h1>{lines}</header>\n"
        f'<nav aria-label="Sections"><ul>{nav}</ul></nav>\n<main>\n{body}\n</main>\n'
        "</body>\n</html>\n"
    )


def format_value(value: object, column: str = "") -> str:
    """Text of one cell: UTC times to the second, durations to the second, shares and rates
    (columns ending in share/rate/risk) as percentages, other floats to 3 digits, nulls empty."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp):
        stamp = value.tz_localize("UTC") if value.tzinfo is None else value.tz_convert("UTC")
        return stamp.strftime("%Y-%m-%d %H:%M:%S") + " UTC"
    if isinstance(value, pd.Timedelta):
        return str(value.floor("s"))
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        return _format_float(float(value), column)
    return str(value)


def _format_float(value: float, column: str) -> str:
    if math.isnan(value):
        return ""
    if column.endswith(_PERCENT_SUFFIXES):
        return f"{value:.1%}"
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _row(values: tuple, columns: Sequence[str]) -> str:
    cells = []
    for value, column in zip(values, columns, strict=True):
        text = format_value(value, str(column))
        css, title = _cell_class(value, text), ""
        if len(text) > MAX_TEXT:
            title, text = f' title="{esc(text)}"', text[: MAX_TEXT - 1] + "…"
        label = esc(str(column).replace("_", " "))
        cells.append(f'<td class="{css}" data-label="{label}"{title}>{esc(text)}</td>')
    return "<tr>" + "".join(cells) + "</tr>"


def _cell_class(value: object, text: str) -> str:
    if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
        return "num"
    if isinstance(value, pd.Timestamp):
        return "time"
    return "long" if len(text) > 60 else ""
