"""`$filter` of `GET /auditLogs/provisioning` as the fake Graph (`fakegraph.py`) applies it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

TIME_FIELD = "activityDateTime"
TEXT_FIELDS = (  # the fields `provlytics.graph.odata.build_filter` compares with `eq`
    "id",
    "jobId",
    "cycleId",
    "changeId",
    "provisioningAction",
    "provisioningStatusInfo/status",
    "servicePrincipal/id",
    "sourceIdentity/id",
    "sourceIdentity/displayName",
    "targetIdentity/id",
    "targetIdentity/displayName",
)
_TIME_TESTS: dict[str, Callable[[datetime, datetime], bool]] = {
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "eq": lambda a, b: a == b,
}
_COMPARISON = re.compile(r"([A-Za-z]+(?:/[A-Za-z]+)?) ([a-z]+) ('(?:[^']|'')*'|[^\s)]+)")


class Where:
    """A `$filter` of `/auditLogs/provisioning` as the fake understands it: comparisons
    `field op value` joined by ` and `, each one alone or an ` or ` group in parentheses.

    Raises:
        ValueError: a filter it does not understand (a field, an operator or a value of the
            wrong kind, or any other syntax), with the part in question.
    """

    def __init__(self, text: str | None) -> None:
        self.text = text or ""
        self.groups: list[list[Callable[[dict[str, Any]], bool]]] = []
        position = 0
        while position < len(self.text):
            if self.groups:
                position = self._expect(" and ", position)
            if self.text.startswith("(", position):
                group, position = self._comparison(position + 1)
                alternatives = [group]
                while not self.text.startswith(")", position):
                    position = self._expect(" or ", position)
                    group, position = self._comparison(position)
                    alternatives.append(group)
                position += 1
            else:
                group, position = self._comparison(position)
                alternatives = [group]
            self.groups.append(alternatives)

    def matches(self, record: dict[str, Any]) -> bool:
        """Whether `record` passes every clause."""
        return all(any(test(record) for test in group) for group in self.groups)

    def _expect(self, word: str, position: int) -> int:
        if not self.text.startswith(word, position):
            raise ValueError(f"expected {word.strip()!r} at {self.text[position:]!r}")
        return position + len(word)

    def _comparison(self, position: int) -> tuple[Callable[[dict[str, Any]], bool], int]:
        match = _COMPARISON.match(self.text, position)
        if match is None:
            raise ValueError(f"not a comparison: {self.text[position:]!r}")
        name, op, literal = match.groups()
        return _test(name, op, literal), match.end()


def _test(name: str, op: str, literal: str) -> Callable[[dict[str, Any]], bool]:
    if name == TIME_FIELD:
        compare = _TIME_TESTS.get(op)
        try:
            bound = _utc(literal)
        except ValueError:
            bound = None
        if compare is None or bound is None:
            raise ValueError(f"{name} {op} {literal}: expected gt, ge, lt, le or eq and a time")
        return lambda record: compare(_utc(record[TIME_FIELD]), bound)
    if name not in TEXT_FIELDS or op != "eq" or not literal.startswith("'"):
        raise ValueError(f"{name} {op} {literal}: not a filter on this resource")
    value = literal[1:-1].replace("''", "'")
    path = name.split("/")
    return lambda record: _lookup(record, path) == value


def _utc(text: str) -> datetime:
    """A DateTimeOffset literal or record time (`...Z`, fractions allowed) as a datetime."""
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"{text!r} has no offset")
    return when


def _lookup(record: dict[str, Any], path: list[str]) -> Any:
    value: Any = record
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value
