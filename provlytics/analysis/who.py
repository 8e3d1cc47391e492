"""Which events are one identity's, for `identity_history`.

`who` is compared case-insensitively, as a whole value, with the values that name the object
an event is about (`naming`); an object id (GUID) compared with or without its dashes
(Workday to Active Directory events log `2d9330e3ddb2...` for the `2d9330e3-ddb2-...` that
other apps log). The identities of the events that name `who` are then taken whole
(`Identities`, `whole`): every event of each, also those that do not name `who`. Also the
warning when a display name matches several distinct identities; and, when nothing names
`who` exactly, the names that are `who` but for accents and case ("Lukasz Brown" for
"Łukasz Brown"), or else the closest names.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from provlytics import letters
from provlytics.analysis.arrays import flat
from provlytics.analysis.notices import closest, warn_user
from provlytics.errors import ConfigError

WHO_COLUMNS = ("source_id", "target_id", "source_name", "target_name", "reportable_identifier")
_SOURCE_SIDE = ("source_id", "reportable_identifier", "source_name")
NAME_COLUMNS = ("source_name", "target_name", "reportable_identifier")  # compared folded
_GUID = re.compile(r"[0-9a-f]{8}(-?)[0-9a-f]{4}\1[0-9a-f]{4}\1[0-9a-f]{4}\1[0-9a-f]{12}")
_SHOWN = 5  # identities a warning names at most
_KEY_COLUMNS = ("reportable_identifier", "source_id", "target_id")  # as `Identities` orders


def checked(who: object) -> str:
    """`who` when it is text that is not blank.

    Raises:
        ConfigError: anything else (None, a number, "" or spaces), naming `who`.
    """
    if not isinstance(who, str) or not who.strip():
        raise ConfigError(
            f"identity_history(who=...): got {who!r} ({type(who).__name__}); takes an object "
            "id, display name or UPN as text, e.g. 'alice@contoso.com'"
        )
    return who


def fold(text: str) -> str:
    """`text` trimmed, without accents (`provlytics.letters.unaccented`: also ł, ø, ı, ß, æ,
    œ, þ and the like, which NFKD keeps whole) and casefolded: "Łukasz Brown" -> "lukasz
    brown", "Oğuz Yılmaz" -> "oguz yilmaz"."""
    return letters.unaccented(text.strip()).casefold()


def unaccented(present: Iterable[str], who: str) -> list[str]:
    """The values of `present` that are `who` but for accents and case (`fold`), sorted."""
    target = fold(who)
    return sorted({v for v in present if fold(v) == target})


def warn_unaccented(who: str, names: list[str]) -> None:
    """A `UserWarning` that `who` matched `names` only when accents and case were ignored."""
    shown = ", ".join(repr(n) for n in names)
    warn_user(
        f"identity_history: no event names {who.strip()!r} exactly; "
        f"showing the events of {shown} (accents and case ignored)"
    )


def wanted(who: str) -> tuple[str, ...]:
    """The spellings of `who` compared: trimmed and lower-cased; for a GUID both its dashed
    (8-4-4-4-12) and its dashless form (`_bare`)."""
    text = str(who).strip().lower()
    return _spelled(_bare(text)) if _GUID.fullmatch(text) else (text,)


def scan_filter(forms: tuple[str, ...]) -> ds.Expression:
    """The Parquet scan filter keeping the events that name one of `forms` (`wanted`)."""
    value_set = pa.array(forms, pa.string())
    named = [pc.utf8_lower(ds.field(c)).isin(value_set) for c in WHO_COLUMNS]
    return functools.reduce(operator.or_, named)


def matches(
    events: pd.DataFrame, forms: tuple[str, ...], columns: tuple[str, ...] = WHO_COLUMNS
) -> np.ndarray:
    """Which rows of `events` hold one of `forms` (`wanted`) in any of `columns`."""
    hit = np.zeros(len(events), bool)
    for column in columns:
        hit |= events[column].str.lower().isin(forms).fillna(False).to_numpy(bool)
    return hit


def naming(events: pd.DataFrame, forms: tuple[str, ...]) -> np.ndarray:
    """Which rows of `events` name one of `forms` (`wanted`) as the object they are about.

    Those whose `source_id`, `reportable_identifier` (UPN) or `source_name` is one of `forms`,
    and those without a `source_name` whose `target_name` is: a failed create or a duplicate
    logs as `target_name` the name of the target account it conflicts with, which may be
    another person's. When no row names `forms` so, those whose `target_id` (an object id in
    the target system) is one of them; for the same reason such an id may name the events of
    two identities (then `warn_if_several` says so)."""
    hit = matches(events, forms, _SOURCE_SIDE)
    by_target = np.flatnonzero(matches(events, forms, ("target_name",)))
    hit[by_target] |= _nameless(events.iloc[by_target])
    return hit if hit.any() else matches(events, forms, ("target_id",))


def present_names(events: pd.DataFrame) -> set[str]:
    """The values of `events` (`NAME_COLUMNS`) a name can match (`naming`): every
    `source_name` and `reportable_identifier`, the `target_name` of rows without a
    `source_name`."""
    present = {v for c in ("source_name", "reportable_identifier") for v in events[c].dropna()}
    return present | set(events["target_name"][_nameless(events)].dropna())


@dataclass(frozen=True)
class Identities:
    """Identities by the keys their events share: UPNs (`reportable_identifier`), source ids
    and, for events with neither, target ids; each lower-cased, a GUID without its dashes.
    Events that share a UPN or a source id are one identity: one person's events may carry
    two source ids under one UPN (an app may log its own id for the person), and an event
    without a UPN is that of the identity with its source id."""

    upns: frozenset[str] = frozenset()
    source_ids: frozenset[str] = frozenset()
    target_ids: frozenset[str] = frozenset()

    @classmethod
    def of(cls, events: pd.DataFrame) -> Identities:
        """The keys of the identities of `events`."""
        upn, source, target = _keys(events)
        return cls(*(frozenset(k.dropna()) for k in (upn, source, target)))

    def __bool__(self) -> bool:
        return bool(self.upns or self.source_ids or self.target_ids)

    def holds(self, events: pd.DataFrame) -> np.ndarray:
        """Which rows of `events` are events of these identities."""
        upn, source, target = (flat(events[c]) for c in _KEY_COLUMNS)
        upns, sources, targets = self._spellings()
        hit = pc.or_(_isin(upn, upns), _isin(source, sources))
        neither = pc.and_(pc.is_null(upn), pc.is_null(source))
        hit = pc.or_(hit, pc.and_(neither, _isin(target, targets)))
        return pc.fill_null(hit, False).to_numpy(zero_copy_only=False)

    def scan_filter(self) -> ds.Expression:
        """The Parquet scan filter keeping (at least) the events of these identities."""
        held = [
            pc.utf8_lower(ds.field(c)).isin(pa.array(sorted(v), pa.string()))
            for c, v in zip(_KEY_COLUMNS, self._spellings(), strict=True)
        ]
        return functools.reduce(operator.or_, held)

    def _spellings(self) -> tuple[frozenset[str], ...]:
        """Every spelling of the UPNs, source ids and target ids: a GUID with and without
        its dashes."""
        keys = (self.upns, self.source_ids, self.target_ids)
        return tuple(frozenset(form for key in ids for form in _spelled(key)) for ids in keys)


def whole(read: Callable[[ds.Expression], pd.DataFrame], hits: pd.DataFrame) -> pd.DataFrame:
    """Every event of the identities of `hits` (`Identities`), in time order: `read(filter)`
    gives the events (at least those `filter` keeps); the keys found on them are followed
    until no new one turns up (an event with a UPN and a new source id brings the events
    without a UPN that have that id). Rows of `hits` with no key at all are kept as they are.
    """
    keys = start = Identities.of(hits)
    found = hits.iloc[:0]
    while keys:
        events = read(keys.scan_filter())
        found = events[keys.holds(events)]
        wider = Identities.of(found)
        if wider == keys:
            break
        keys = wider
    keyless = hits[~start.holds(hits)]
    out = pd.concat([found, keyless]) if len(keyless) else found
    return out.sort_values(["activity_time", "event_id"], kind="stable")


def count(events: pd.DataFrame) -> int:
    """How many distinct identities (`Identities`) the rows of `events` are; rows with no key
    at all are not counted (nothing tells them apart, nor would narrow to one of them)."""
    upn, source, target = _keys(events)
    links = pd.DataFrame({"u": upn, "s": source, "t": target}).drop_duplicates()
    parent: dict[tuple[str, str], tuple[str, str]] = {}
    for row in links.itertuples(index=False):
        nodes = [(k, v) for k, v in zip("ust", row, strict=True) if isinstance(v, str)]
        for node in nodes:
            _link(parent, nodes[0], node)
    return len({_root(parent, node) for node in parent})


def namesakes(events: pd.DataFrame) -> tuple[int, list[str]]:
    """How many distinct identities (`count`) the events of an identity history are when
    that is more than one (a display name several people share, or a target id that the
    failed creates of another identity log too), and their UPNs (lower-cased, sorted);
    `(0, [])` when they are one identity."""
    several = count(events)
    if several < 2:
        return 0, []
    return several, sorted(events["reportable_identifier"].dropna().str.lower().unique())


def warn_if_several(who: str, events: pd.DataFrame) -> None:
    """A `UserWarning` when the `events` found for `who` are those of several identities
    (`namesakes`): it names how many, up to five of their UPNs, and how to narrow."""
    several, upns = namesakes(events)
    if not several:
        return
    shown = ", ".join(upns[:_SHOWN]) + (
        f" and {len(upns) - _SHOWN} more" if len(upns) > _SHOWN else ""
    )
    seen = f" (UPNs: {shown})" if upns else ""
    warn_user(
        f"identity_history: {who!r} matches {several} distinct identities{seen}; "
        "pass the UPN or object id to narrow it to one"
    )


def warn_nobody(who: str, present: Iterable[str]) -> None:
    """A `UserWarning` that no event names `who`, naming the names of `present` closest to it
    (compared folded, `fold`; difflib's ratio of at least 0.8), if any."""
    warn_user(
        f"identity_history: no event names {who.strip()!r} "
        "(compared with object ids, display names and UPNs)",
        closest(present, who, key=fold, cutoff=0.8),
    )


def _nameless(events: pd.DataFrame) -> np.ndarray:
    """Which rows of `events` have no `source_name` (null or blank)."""
    names = events["source_name"]
    return (names.isna() | (names.str.strip() == "")).fillna(True).to_numpy(bool)


def _keys(events: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per row of `events`: its UPN, its source id and, when it has neither, its target id;
    lower-cased, GUIDs without dashes (`_bare`); null where absent or blank."""
    upn, source, target = (_ids(events[c].where(events[c].str.strip() != "")) for c in _KEY_COLUMNS)
    target = target.where(upn.isna() & source.isna())
    return upn.astype(object), source.astype(object), target.astype(object)


def _spelled(bare: str) -> tuple[str, ...]:
    """`bare` (a `_bare` id) and, for a GUID, its dashed (8-4-4-4-12) form first."""
    if not _GUID.fullmatch(bare):
        return (bare,)
    return ("-".join((bare[:8], bare[8:12], bare[12:16], bare[16:20], bare[20:])), bare)


def _isin(values: pa.Array, wanted_values: frozenset[str]) -> pa.Array:
    """Which of `values`, lower-cased, are in `wanted_values` (null for null)."""
    value_set = pa.array(sorted(wanted_values), pa.string())
    return pc.is_in(pc.utf8_lower(values.cast(pa.string())), value_set=value_set)


def _link(parent: dict, first: tuple[str, str], other: tuple[str, str]) -> None:
    """Join the groups of `first` and `other` (union-find over `parent`)."""
    parent.setdefault(first, first)
    parent.setdefault(other, other)
    parent[_root(parent, other)] = _root(parent, first)


def _root(parent: dict, node: tuple[str, str]) -> tuple[str, str]:
    while parent[node] != node:
        parent[node] = parent[parent[node]]
        node = parent[node]
    return node


def _ids(values: pd.Series) -> pd.Series:
    """Ids lower-cased, GUIDs without dashes (`_bare`)."""
    return values.str.lower().map(_bare, na_action="ignore")


def _bare(text: str) -> str:
    """`text` (lower-cased) without its dashes if it is a GUID, else as it is."""
    return text.replace("-", "") if _GUID.fullmatch(text) else text
