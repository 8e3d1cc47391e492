"""Which events name one identity, for `identity_history`: `who` compared case-insensitively,
as a whole value, with the events' ids, names and UPN; an object id (GUID) compared with or
without its dashes (Workday to Active Directory events log `2d9330e3ddb2...` for the
`2d9330e3-ddb2-...` that other apps log). Also the warning when a display name matches
several distinct identities; and, when nothing names `who` exactly, the names that are `who`
but for accents and case ("Lukasz Brown" for "Łukasz Brown"), or else the closest names.
"""

from __future__ import annotations

import functools
import operator
import re
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from provlytics.analysis.notices import closest, warn_user
from provlytics.errors import ConfigError

WHO_COLUMNS = ("source_id", "target_id", "source_name", "target_name", "reportable_identifier")
_ID_COLUMNS = ("source_id", "target_id", "reportable_identifier")
NAME_COLUMNS = ("source_name", "target_name", "reportable_identifier")  # compared folded
_GUID = re.compile(r"[0-9a-f]{8}(-?)[0-9a-f]{4}\1[0-9a-f]{4}\1[0-9a-f]{4}\1[0-9a-f]{12}")
_SHOWN = 5  # identities a warning names at most
_UNMARKED = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "ß": "ss"})


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
    """`text` trimmed, without accents (NFKD, combining marks dropped; Ł, ø, đ and ß, which
    NFKD keeps, as l, o, d and ss) and casefolded: "Łukasz Brown" -> "lukasz brown"."""
    decomposed = unicodedata.normalize("NFKD", text.strip().translate(_UNMARKED))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


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
    if not _GUID.fullmatch(text):
        return (text,)
    bare = _bare(text)
    dashed = "-".join((bare[:8], bare[8:12], bare[12:16], bare[16:20], bare[20:]))
    return (dashed, bare)


def scan_filter(forms: tuple[str, ...]) -> ds.Expression:
    """The Parquet scan filter keeping the events that name one of `forms` (`wanted`)."""
    value_set = pa.array(forms, pa.string())
    named = [pc.utf8_lower(ds.field(c)).isin(value_set) for c in WHO_COLUMNS]
    return functools.reduce(operator.or_, named)


def matches(
    events: pd.DataFrame, forms: tuple[str, ...], columns: tuple[str, ...] = WHO_COLUMNS
) -> np.ndarray:
    """Which rows of `events` name one of `forms` (`wanted`) in any of `columns`."""
    hit = np.zeros(len(events), bool)
    for column in columns:
        hit |= events[column].str.lower().isin(forms).fillna(False).to_numpy(bool)
    return hit


def namesakes(who: str, events: pd.DataFrame) -> tuple[int, list[str]]:
    """How many distinct identities the `events` naming `who` belong to when `who` is a
    display name several people share, and their UPNs (lower-cased, sorted); `(0, [])` when
    `who` names one identity (an id or UPN of `events` is it, or one identity has the name).

    Identities are told apart by `reportable_identifier` (UPN), else `source_id` (a GUID
    with or without dashes counted once: Workday to AD logs a worker's id, other apps the
    Entra object id), else `target_id`."""
    if matches(events, wanted(who), _ID_COLUMNS).any():
        return 0, []
    keys = events["reportable_identifier"].str.lower().fillna(_ids(events["source_id"]))
    count = keys.fillna(_ids(events["target_id"])).nunique()
    if count < 2:
        return 0, []
    return count, sorted(events["reportable_identifier"].dropna().str.lower().unique())


def warn_if_several(who: str, events: pd.DataFrame) -> None:
    """A `UserWarning` when `who` is a display name several identities of `events` share
    (`namesakes`): it names how many, up to five of their UPNs, and how to narrow."""
    count, upns = namesakes(who, events)
    if not count:
        return
    shown = ", ".join(upns[:_SHOWN]) + (
        f" and {len(upns) - _SHOWN} more" if len(upns) > _SHOWN else ""
    )
    seen = f" (UPNs: {shown})" if upns else ""
    warn_user(
        f"identity_history: {who!r} matches {count} distinct identities{seen}; "
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


def _ids(values: pd.Series) -> pd.Series:
    """Ids lower-cased, GUIDs without dashes (`_bare`)."""
    return values.str.lower().map(_bare, na_action="ignore")


def _bare(text: str) -> str:
    """`text` (lower-cased) without its dashes if it is a GUID, else as it is."""
    return text.replace("-", "") if _GUID.fullmatch(text) else text
