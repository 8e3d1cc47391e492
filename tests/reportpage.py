"""Reads a written report.html back: sections, overview cards, tables and tags, with the
standard library's HTML parser (what a browser would show, without one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path


@dataclass
class ReportPage:
    """What report.html shows: section id -> heading, card label -> value, section id ->
    its tables (each a list of rows of cell texts, the header first), and every start tag."""

    sections: dict[str, str] = field(default_factory=dict)
    cards: dict[str, str] = field(default_factory=dict)
    tables: dict[str, list[list[list[str]]]] = field(default_factory=dict)
    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    header: str = ""

    @classmethod
    def read(cls, path: str | Path) -> ReportPage:
        parser = _Parser()
        parser.feed(Path(path).read_text(encoding="utf-8"))
        parser.close()
        return parser.page

    def table(self, section: str, index: int = 0) -> list[dict[str, str]]:
        """One table of a section as dicts keyed by the header cells."""
        head, *rows = self.tables[section][index]
        return [dict(zip(head, row, strict=True)) for row in rows]


_CAPTURED = ("td", "th", "h2", "div", "header")


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = ReportPage()
        self._section: str | None = None
        self._capture: str | None = None  # h2, label, value, cell, header
        self._text = ""
        self._label = ""
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.page.tags.append((tag, attributes))
        css = (attributes.get("class") or "").split()
        if tag == "section":
            self._section = attributes["id"]
            self.page.tables[self._section] = []
        elif tag == "table":
            self.page.tables[self._section].append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") or (tag == "h2" and self._section):
            self._start(tag)
        elif tag == "div" and ("label" in css or "value" in css):
            self._start(css[0])
        elif tag == "header":
            self._start("header")

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self._section = None
        elif tag == "tr" and self._row is not None:
            self.page.tables[self._section][-1].append(self._row)
            self._row = None
        elif self._capture in (tag, "label", "value") and tag in _CAPTURED:
            self._finish()

    def handle_data(self, data: str) -> None:
        if self._capture:
            self._text += data

    def _start(self, what: str) -> None:
        self._capture, self._text = what, ""

    def _finish(self) -> None:
        text, what = self._text.strip(), self._capture
        self._capture = None
        if what in ("td", "th"):
            self._row.append(text)
        elif what == "h2":
            self.page.sections[self._section] = text
        elif what == "label":
            self._label = text
        elif what == "value":
            self.page.cards[self._label] = text
        elif what == "header":
            self.page.header = text
