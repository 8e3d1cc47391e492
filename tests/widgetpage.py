"""Reads a widget's HTML back (its static `_repr_html_` or its live view's outputs): each
block's title, note and table cells, with the standard library's HTML parser (what a
browser would show, without one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class WidgetBlock:
    """One block as shown: the note under its title and its table (header first)."""

    note: str = ""
    cells: list[list[str]] = field(default_factory=list)

    @property
    def rows(self) -> list[dict[str, str]]:
        """The table's rows as dicts keyed by the header cells."""
        head, *rows = self.cells
        return [dict(zip(head, row, strict=True)) for row in rows]


def widget_blocks(*fragments: str) -> dict[str, WidgetBlock]:
    """Block title -> what it shows, from HTML fragments read in order."""
    parser = _Parser()
    for fragment in fragments:
        parser.feed(fragment)
    parser.close()
    return parser.blocks


def live_html(widget: object) -> str:
    """The HTML of the widget's live view (the `display_data` outputs it shows)."""
    outputs = widget.output.outputs  # type: ignore[attr-defined]
    return "".join(item["data"].get("text/html", "") for item in outputs)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: dict[str, WidgetBlock] = {}
        self._block: WidgetBlock | None = None
        self._capture: str | None = None  # h4, note, cell
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        css = (dict(attrs).get("class") or "").split()
        if tag == "h4" or (tag == "p" and "pv-note" in css) or tag in ("td", "th"):
            self._capture, self._text = tag, ""
        elif tag == "tr" and self._block is not None:
            self._block.cells.append([])

    def handle_data(self, data: str) -> None:
        if self._capture:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag != self._capture:
            return
        text, self._capture = self._text.strip(), None
        if tag == "h4":
            self._block = self.blocks.setdefault(text, WidgetBlock())
        elif self._block is None:
            return
        elif tag == "p":
            self._block.note = text
        else:
            self._block.cells[-1].append(text)
