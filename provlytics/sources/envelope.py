"""Telling a Graph page apart from the bytes around its `value` list, without decoding it.

A Graph page is `{"@odata.context": "...", "value": [...], "@odata.nextLink": "..."}`: its
scalar members sit before and after the one list. `graph_page_context` reads the members
before `value` forward and the members after its list backward (from the closing `}`),
each scalar token parsed on its own with orjson, and never walks the list, which the
normalizer decodes anyway (and which gives the same "not valid JSON" error the file source
gave when the page is not JSON: `normalize.pages._parse`).

It answers only when the file source's full decode (`files._Envelope`, where a repeated
key keeps its last value) would have found a list in `value`; anything else (a member
holding an object or list before `value`, an object after it, a repeated `value` among the
scalars, a page that may be JSON lines) is `None`: the caller then decodes the document as
before. One shape it cannot see without walking the list: a second member holding a
non-empty list after `value`'s, followed by a repeated `value` or `@odata.context`
(`{"value": [...], "x": [1], "value": 5}`), which no Graph page has; such a document is
taken as a Graph page, and the normalizer, reading the last `value`, reports "expected a
list of records" where the full decode may have read `records`, `tables` or `error`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

_WHITESPACE = b" \t\n\r"
_SCALAR_END = frozenset(b",}] \t\n\r")
_SCALAR_CHARS = frozenset(b"0123456789+-.eEtrufalsn")  # numbers, true, false, null
_CONTEXT = "@odata.context"
_LEADING = re.compile(rb"\s*")  # what `bytes.lstrip` strips
_NON_BLANK = re.compile(rb"\S")
_FIRST_LINE_PROBE = 4096  # a first line longer than this is not looked at: full decode


class _NotSure(Exception):
    """The bytes are not the simple page shape this module reads."""


@dataclass(frozen=True)
class GraphPage:
    """A document whose `value` holds a list: its `@odata.context` (any JSON value, None
    when absent), as the full decode gives it."""

    context: Any


def graph_page_context(data: bytes) -> GraphPage | None:
    """A `GraphPage` if `data` (without a byte-order mark) is, for the file source's full
    decode, a JSON object whose `value` is a list; None when that is not certain.

    A document that is not valid JSON may come back as a `GraphPage` only when its first
    line is not a JSON object (so it could not be read as JSON lines instead); the
    normalizer then raises the error the full decode's caller would have raised.
    """
    try:
        members, start = _head(data)
        tail = _tail(data, start)
    except (_NotSure, IndexError, orjson.JSONDecodeError):
        return None
    if _may_be_json_lines(data):
        return None
    context = None
    for key, value in (*members, *tail):  # in order: a repeated key keeps its last value
        if key == _CONTEXT:
            context = value
    return GraphPage(context)


def _head(data: bytes) -> tuple[list[tuple[str, Any]], int]:
    """The scalar members before `value`, and where its list starts (its `[`)."""
    at = _skip(data, 0)
    if data[at] != ord("{"):
        raise _NotSure
    members: list[tuple[str, Any]] = []
    at = _skip(data, at + 1)
    while True:
        key, at = _string(data, at)
        at = _expect(data, _skip(data, at), b":")
        at = _skip(data, at + 1)
        if key == "value":
            if data[at] != ord("["):
                raise _NotSure
            return members, at
        value, at = _scalar(data, at)
        members.append((key, value))
        at = _expect(data, _skip(data, at), b",")
        at = _skip(data, at + 1)


def _tail(data: bytes, start: int) -> list[tuple[str, Any]]:
    """The scalar members after the document's last list, read backward from the closing
    `}`, in document order. That list is taken to be `value`'s (a `]` past `start`): an
    object member after the list, or a second, empty list, is seen and refused; a second
    list holding items is not (see the module's docstring)."""
    at = _skip_back(data, len(data) - 1)
    if data[at] != ord("}"):
        raise _NotSure
    members: list[tuple[str, Any]] = []
    at = _skip_back(data, at - 1)
    while data[at] != ord("]"):
        value, at = _scalar_back(data, at)
        at = _skip_back(data, at)
        if data[at] != ord(":"):
            raise _NotSure
        key, at = _string_back(data, _skip_back(data, at - 1))
        if key == "value":  # a repeated `value`
            raise _NotSure
        members.append((key, value))
        at = _skip_back(data, at)
        if data[at] != ord(","):
            raise _NotSure
        at = _skip_back(data, at - 1)
    if at <= start:
        raise _NotSure
    inside = _skip_back(data, at - 1)
    if data[inside] == ord("[") and inside != start:  # an empty list, not `value`'s
        raise _NotSure
    members.reverse()
    return members


def _may_be_json_lines(data: bytes) -> bool:
    """Whether the document's first line, with more lines after it, could be a JSON object
    (the full decode's caller reads such a document as JSON lines when it is not JSON);
    a first line longer than `_FIRST_LINE_PROBE` bytes with more after it counts as one."""
    start = _LEADING.match(data).end()  # type: ignore[union-attr]  # always matches
    end = data.find(b"\n", start)
    if end < 0 or _NON_BLANK.search(data, end) is None:
        return False  # one line: the whole document
    if end - start > _FIRST_LINE_PROBE:
        return True
    try:
        return isinstance(orjson.loads(data[start:end]), dict)
    except orjson.JSONDecodeError:
        return False


def _skip(data: bytes, at: int) -> int:
    while data[at] in _WHITESPACE:
        at += 1
    return at


def _skip_back(data: bytes, at: int) -> int:
    while at >= 0 and data[at] in _WHITESPACE:
        at -= 1
    if at < 0:
        raise _NotSure
    return at


def _expect(data: bytes, at: int, char: bytes) -> int:
    if data[at] != char[0]:
        raise _NotSure
    return at


def _string(data: bytes, at: int) -> tuple[str, int]:
    """The JSON string starting at `at` (its `"`), and the position after it."""
    if data[at] != ord('"'):
        raise _NotSure
    end = at
    while True:
        end = data.find(b'"', end + 1)
        if end < 0:
            raise _NotSure
        if _escaped(data, end):
            continue
        return _text(data[at : end + 1]), end + 1


def _string_back(data: bytes, end: int) -> tuple[str, int]:
    """The JSON string ending at `end` (its closing `"`), and the position before it."""
    if data[end] != ord('"') or _escaped(data, end):
        raise _NotSure
    at = end
    while True:
        at = data.rfind(b'"', 0, at)
        if at < 0:
            raise _NotSure
        if not _escaped(data, at):
            return _text(data[at : end + 1]), at - 1


def _escaped(data: bytes, quote: int) -> bool:
    """Whether the `"` at `quote` follows an odd run of backslashes."""
    run = 0
    while data[quote - 1 - run] == ord("\\"):
        run += 1
    return run % 2 == 1


def _text(token: bytes) -> str:
    value = orjson.loads(token)
    if not isinstance(value, str):
        raise _NotSure
    return value


def _scalar(data: bytes, at: int) -> tuple[Any, int]:
    """The scalar value starting at `at` (a string, number, true, false or null)."""
    if data[at] == ord('"'):
        return _string(data, at)
    end = at
    while data[end] in _SCALAR_CHARS:
        end += 1
    if end == at or data[end] not in _SCALAR_END:
        raise _NotSure
    return orjson.loads(data[at:end]), end


def _scalar_back(data: bytes, end: int) -> tuple[Any, int]:
    """The scalar value ending at `end`, and the position before it."""
    if data[end] == ord('"'):
        return _string_back(data, end)
    at = end
    while at >= 0 and data[at] in _SCALAR_CHARS:
        at -= 1
    if at == end or at < 0:
        raise _NotSure
    return orjson.loads(data[at + 1 : end + 1]), at
