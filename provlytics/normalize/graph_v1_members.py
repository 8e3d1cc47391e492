"""The enumeration members of Graph v1.0 values, as the fast path (`graph_v1`) maps them.

Each distinct spelling on a page is looked up once (`raw_columns.mapped`): exact spellings
and the members themselves directly, any other through `extract.enum_member` (any case, any
separators), as the general path reads them. A value no table knows raises `UnknownMember`:
the page then takes the general path, which keeps the value in `extra` and says so.
"""

from __future__ import annotations

from provlytics.normalize import aliases as A
from provlytics.normalize.extract import enum_member


class UnknownMember(Exception):
    """An enumeration value no table knows: a page for the general path."""


class Members:
    """The v1.0 member of each spelling of one enumeration; raises `UnknownMember`."""

    def __init__(self, table: dict) -> None:
        self.table = table
        self.exact = {k: v for k, v in table.items() if type(k) is str}
        self.exact.update({v: v for v in table.values()})

    def __call__(self, value: str | None) -> str | None:
        if not value:
            return None
        member = self.exact.get(value) or enum_member(self.table, value)
        if member is None:
            raise UnknownMember(value)
        return member


ACTIONS, RESULTS, STEP_TYPES, ERROR_CATEGORIES, INITIATOR_TYPES = map(
    Members, (A.ACTIONS, A.RESULTS, A.STEP_TYPES, A.ERROR_CATEGORIES, A.INITIATOR_TYPES)
)
EVENT_ENUMS = {  # events column: its members
    "action": ACTIONS,
    "status": RESULTS,
    "error_category": ERROR_CATEGORIES,
    "initiated_by_type": INITIATOR_TYPES,
}
