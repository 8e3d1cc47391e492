"""Pseudonymize the tables before sharing them: personal values become keyed tokens.

`pseudonymize(frames, key)` replaces every personal value with `anon-` and the first 16 hex
digits of its HMAC-SHA256 under `key`. The same value gets the same token in every table
and inside every text, so joins, distinct counts and drill-downs still work; without the
key a token cannot be turned back into the value, nor checked against a guess.

Which columns are personal ("text": known personal values and e-mail/UPN-shaped strings in
it are replaced; "JSON": values under a personal key are replaced, other strings as text):

| table | columns | replaced |
|---|---|---|
| events, errors | source_id, source_name, target_id, target_name | whole value |
| events, errors | reportable_identifier | whole value |
| events | initiated_by_id, initiated_by_name | whole value, unless a machine initiated it (1) |
| modified_properties | old_value, new_value | whole value where `name` is personal (2) |
| events, errors | error_reason, error_details, recommended_action | text |
| errors | failed_step_description | text |
| steps | description | text |
| job_status | last_error_message, quarantine_error_message | text |
| steps, events, job_status | details, extra | JSON (2) |

(1) `initiated_by_type` is `application` or `system`. (2) `PERSONAL_ATTRIBUTES`: names, mail
and UPN, phone, address, employee/worker ids, manager, object ids, SCIM `userName`,
`externalId`, `emails[...]`, `name.*`, app spellings such as `FirstName` or `user_name`; the
elements of a JSON list value (`members`) are replaced one by one. Columns a table lacks
(schema version 1 `errors` has no ids) are skipped.

Known personal values are those of the structured columns above (3 characters or more, up to
200); in text they are replaced where they stand as whole words, longest first, exactly as
written (GUIDs in either case). Text is not searched for anything else but e-mail/UPN-shaped
strings (`local@domain.tld`). Everything else stays: event and job ids, cycle and change ids,
codes, statuses, actions, times, app and system names, step names, the tenant id, and the
values of other attributes (`department`, `jobTitle`, `accountEnabled`...).

Normalisation before hashing: e-mail/UPN-shaped values (one `@`, no space) and GUIDs are
lower-cased, as Entra compares them case-insensitively; every other value (display names,
SCIM ids, which are case-sensitive in Salesforce) is hashed exactly as logged. Group names
are identity names and are pseudonymized too. Values that already are tokens stay as they
are, so pseudonymizing twice with the same key changes nothing.

The key never appears in the result, its repr or a log line. Rejected records keep their
origin, field and (pseudonymized) reason; their raw text is dropped.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import logging
import os
import re
from collections.abc import Callable, Iterable
from itertools import groupby
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from provlytics.errors import ConfigError
from provlytics.schema import TABLE_NAMES
from provlytics.tables import ProvisioningFrames

logger = logging.getLogger(__name__)

METHOD = "HMAC-SHA256"
TOKEN_PREFIX = "anon-"
TOKEN_HEX_DIGITS = 16
MIN_KEY_BYTES = 16
KEY_VARIABLE = "PROVLYTICS_PSEUDONYMIZE_KEY"
_MIN_TEXT, _MAX_TEXT = 3, 200  # lengths of known values searched for in text

IDENTITY_COLUMNS: dict[str, tuple[str, ...]] = {
    "events": ("source_id", "source_name", "target_id", "target_name", "reportable_identifier"),
    "errors": ("source_id", "source_name", "target_id", "target_name", "reportable_identifier"),
}
INITIATOR_COLUMNS = ("initiated_by_id", "initiated_by_name")
NON_PERSONAL_INITIATORS = frozenset({"application", "system"})
ATTRIBUTE_COLUMNS = ("old_value", "new_value")
TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "events": ("error_reason", "error_details", "recommended_action"),
    "errors": ("error_reason", "error_details", "recommended_action", "failed_step_description"),
    "steps": ("description",),
    "job_status": ("last_error_message", "quarantine_error_message"),
}
JSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "events": ("extra",),
    "steps": ("details",),
    "job_status": ("extra",),
}

# Attribute names, compared by `attribute_key` (lower case, no `_`/`-`/space, URN prefix,
# `[filter]` and `.sub.attribute` dropped): Entra/AD, SCIM and common app spellings.
PERSONAL_ATTRIBUTES = frozenset(
    {
        # Entra ID / Active Directory
        "displayname", "givenname", "surname", "sn", "cn", "name", "initials", "mail",
        "userprincipalname", "mailnickname", "proxyaddresses", "othermails", "telephonenumber",
        "mobile", "mobilephone", "businessphones", "homephone", "faxnumber", "streetaddress",
        "postalcode", "employeeid", "employeenumber", "manager", "samaccountname",
        "distinguishedname", "objectid", "objectguid", "objectsid", "immutableid",
        "onpremisesimmutableid", "onpremisessamaccountname", "onpremisesuserprincipalname",
        "onpremisesdistinguishedname", "members", "owners", "birthday", "birthdate",
        # SCIM core and enterprise extension
        "username", "externalid", "emails", "phonenumbers", "addresses", "ims", "photos",
        "nickname", "id",
        # app and HR spellings (Salesforce, ServiceNow, Workday...)
        "email", "firstname", "lastname", "alias", "communitynickname", "federationidentifier",
        "phone", "workerid", "userid", "personid", "reportableidentifier",
    }
)  # fmt: skip

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_TOKEN = re.compile(rf"{TOKEN_PREFIX}[0-9a-f]{{{TOKEN_HEX_DIGITS}}}")
# from the start of a run only: trying every position of a long run would take quadratic time
_EMAIL = r"(?<![\w.%+#-])[\w.%+#-]+@[\w-]+(?:\.[\w-]+)+"
_WORD = re.compile(r"\w+")


def pseudonymize(
    frames: ProvisioningFrames, key: bytes | str, *, attributes: Iterable[str] = ()
) -> ProvisioningFrames:
    """The same tables with every personal value replaced by a keyed token.

    Example:
        >>> safe = pv.load("data/samples/").pseudonymize(b"an example key, 16+ bytes")
        >>> safe.events["reportable_identifier"].iloc[0]
        'anon-1397fd399473c95b'

    Args:
        frames: the tables (any `ProvisioningFrames`, schema version 1 or 2: columns missing
            from a table are skipped).
        key: secret of at least 16 bytes (a `str` counts in UTF-8); keep it to pseudonymize
            later loads the same way, never share it.
        attributes: more modified-property names to treat as personal, besides
            `PERSONAL_ATTRIBUTES`.

    Returns:
        New `ProvisioningFrames` (the input is unchanged) whose `pseudonymized` attribute,
        `{"method", "token", "lower_cased_before_hashing", "columns" (`table.column`),
        "attributes"}`, is written to `manifest.json` by
        `to_parquet`. Row counts, keys and non-personal columns are as they were.

    Raises:
        ConfigError: the key is shorter than 16 bytes.
    """
    tokens = _Tokens(_key_bytes(key))
    personal = PERSONAL_ATTRIBUTES | {attribute_key(a) for a in attributes}
    tables = {name: frames.table(name) for name in TABLE_NAMES}
    masks = _remember_columns(tables, tokens, personal)
    words = _remember_texts(tables, tokens, personal, [r.reason for r in frames.rejected])
    text = _TextScrubber(tokens, words, personal)
    out, columns = _replace(tables, tokens, text, masks)
    rejects = [
        dataclasses.replace(r, reason=text.scrub(r.reason), record="") for r in frames.rejected
    ]
    result = ProvisioningFrames(
        out, sources=frames.sources, rejects=rejects, records_read=frames.records_read
    )
    result.pseudonymized = {
        "method": METHOD,
        "token": f"{TOKEN_PREFIX}<first {TOKEN_HEX_DIGITS} hex digits>",
        "lower_cased_before_hashing": "e-mail/UPN-shaped values and GUIDs",
        "columns": columns,
        "attributes": sorted(personal),
    }
    result.narrowed = getattr(frames, "narrowed", None)  # narrowed as before
    logger.info("pseudonymized %d distinct values in %d columns", len(tokens), len(columns))
    return result


@functools.lru_cache(maxsize=4096)
def attribute_key(name: str) -> str:
    """The form attribute names are compared in: `emails[type eq "work"].value` -> `emails`,
    `urn:...:enterprise:2.0:User:employeeNumber` -> `employeenumber`, `first_name` -> `firstname`.
    """
    name = re.sub(r"\[[^\]]*\]", "", name).rsplit(":", 1)[-1]
    return re.sub(r"[\s_-]", "", name).lower().split(".", 1)[0]


def normalize_value(value: str) -> str:
    """What is hashed: e-mail/UPN-shaped values and GUIDs lower-cased, others as they are."""
    if _GUID.fullmatch(value) or (value.count("@") == 1 and not any(c.isspace() for c in value)):
        return value.lower()
    return value


class _Tokens:
    """Value -> token, cached; `known` holds the personal values to look for in text."""

    def __init__(self, key: bytes) -> None:
        self._mac = hmac.new(key, digestmod=hashlib.sha256)
        self._cache: dict[str, str] = {}
        self.known: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._cache)

    def __repr__(self) -> str:
        return f"<_Tokens {len(self)} values>"

    def token(self, value: str) -> str:
        """The token of one value ("" and tokens stay as they are)."""
        found = self._cache.get(value)
        if found is None:
            if not value or _TOKEN.fullmatch(value):
                return value
            mac = self._mac.copy()
            mac.update(normalize_value(value).encode())
            found = self._cache[value] = TOKEN_PREFIX + mac.hexdigest()[:TOKEN_HEX_DIGITS]
        return found

    def remember(self, value: str) -> str:
        """The token of a personal value, also to be replaced wherever it appears in text."""
        token = self.token(value)
        if _MIN_TEXT <= len(value) <= _MAX_TEXT and token != value:
            self.known[value] = token
            if _GUID.fullmatch(value):
                self.known[value.lower()] = self.known[value.upper()] = token
        return token

    def remember_list(self, value: str) -> str:
        """A personal attribute value: each element of a JSON list of strings, else the whole."""
        return self.token_list(value, self.remember)

    def token_list(self, value: str, token: Callable[[str], str] | None = None) -> str:
        """The token of each element of a JSON list of strings, else of the whole value."""
        token = token or self.token
        if value.startswith("["):
            try:
                items = orjson.loads(value)
            except orjson.JSONDecodeError:
                items = None
            if isinstance(items, list) and all(isinstance(i, str) for i in items):
                return orjson.dumps([token(i) for i in items]).decode()
        return token(value)


class _TextScrubber:
    """Replaces e-mail/UPN-shaped strings and known personal values (as whole words, longest
    first) in text; in JSON text, tokenizes the values of personal keys and scrubs the rest.

    Only known values whose first word occurs in the texts (`words`) go into the pattern, and
    none that the e-mail pattern finds anyway: compiling a regex costs time per character.
    """

    def __init__(self, tokens: _Tokens, words: set[str], personal: frozenset[str]) -> None:
        self._tokens, self._personal = tokens, personal
        email = re.compile(_EMAIL)
        wanted = [
            value
            for value in tokens.known
            if _first_word(value) in words and not email.fullmatch(value)
        ]
        alternatives = [f"(?P<email>{_EMAIL})"]
        if wanted:
            alternatives.append(rf"(?<!\w)(?:{_trie_pattern(wanted)})(?!\w)")
        self._pattern = re.compile("|".join(alternatives))

    def scrub(self, text: str) -> str:
        """Text with personal values replaced by their tokens."""
        return self._pattern.sub(self._swap, text)

    def scrub_json(self, text: str) -> str:
        """JSON text rewritten value by value; text that is not JSON is scrubbed as text."""
        return _rewrite_json(text, self._personal, self._tokens.token, self.scrub)

    def _swap(self, match: re.Match[str]) -> str:
        value = match.group()
        if match.group("email") is not None:
            return self._tokens.token(value)
        return self._tokens.known[value]


def _key_bytes(key: bytes | str) -> bytes:
    raw = key.encode() if isinstance(key, str) else bytes(key)
    if len(raw) < MIN_KEY_BYTES:
        raise ConfigError(
            f"the pseudonymization key must be at least {MIN_KEY_BYTES} bytes "
            f"(got {len(raw)}); pass it as `key` or, for `provlytics report --pseudonymize`, "
            f"in the environment variable {KEY_VARIABLE}"
        )
    return raw


def _remember_columns(
    tables: dict[str, pa.Table], tokens: _Tokens, personal: frozenset[str]
) -> dict[str, pa.Array]:
    """Remember every personal value of the structured columns; returns the row masks of
    personal initiators and personal attributes."""
    for name, columns in IDENTITY_COLUMNS.items():
        for column in _present(tables[name], columns):
            _each_unique(tables[name][column], tokens.remember)
    masks = {"initiator": _initiator_mask(tables["events"])}
    masks["attribute"] = _attribute_mask(tables["modified_properties"], personal)
    for column in _present(tables["events"], INITIATOR_COLUMNS):
        _each_unique(pc.filter(tables["events"][column], masks["initiator"]), tokens.remember)
    for column in _present(tables["modified_properties"], ATTRIBUTE_COLUMNS):
        values = pc.filter(tables["modified_properties"][column], masks["attribute"])
        _each_unique(values, tokens.remember_list)
    return masks


def _remember_texts(
    tables: dict[str, pa.Table], tokens: _Tokens, personal: frozenset[str], more: list[str]
) -> set[str]:
    """Remember the values of personal keys in JSON text; returns the words of every text
    that will be scrubbed."""
    words: set[str] = {""}

    def note(text: str) -> str:
        words.update(_WORD.findall(text))
        return text

    for name, columns in TEXT_COLUMNS.items():
        for column in _present(tables[name], columns):
            _each_unique(tables[name][column], note)
    for name, columns in JSON_COLUMNS.items():
        for column in _present(tables[name], columns):
            _each_unique(
                tables[name][column], lambda t: _rewrite_json(t, personal, tokens.remember, note)
            )
    for text in more:
        note(text)
    return words


def _rewrite_json(
    text: str, personal: frozenset[str], value: Callable[[str], str], other: Callable[[str], str]
) -> str:
    """JSON text with `value` applied to the scalars under personal keys (as strings) and
    `other` to every other string and key; text that is not JSON goes to `other` whole."""
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        return other(text)
    return orjson.dumps(_walk(parsed, personal, False, value, other)).decode()


def _walk(
    item: Any,
    personal: frozenset[str],
    under: bool,
    value: Callable[[str], str],
    other: Callable[[str], str],
) -> Any:
    if isinstance(item, dict):
        return {
            other(k): _walk(v, personal, under or attribute_key(k) in personal, value, other)
            for k, v in item.items()
        }
    if isinstance(item, list):
        return [_walk(v, personal, under, value, other) for v in item]
    if under and isinstance(item, str | int | float) and not isinstance(item, bool):
        return value(str(item))
    return other(item) if isinstance(item, str) else item


def _replace(
    tables: dict[str, pa.Table],
    tokens: _Tokens,
    text: _TextScrubber,
    masks: dict[str, pa.Array],
) -> tuple[dict[str, pa.Table], list[str]]:
    """The tables with personal columns rewritten, and the `table.column` names touched."""
    plan: list[tuple[str, str, Callable[[str], str], pa.Array | None]] = []
    for name, columns in IDENTITY_COLUMNS.items():
        plan += [(name, c, tokens.token, None) for c in columns]
    plan += [("events", c, tokens.token, masks["initiator"]) for c in INITIATOR_COLUMNS]
    plan += [
        ("modified_properties", c, tokens.token_list, masks["attribute"]) for c in ATTRIBUTE_COLUMNS
    ]
    for name, columns in TEXT_COLUMNS.items():
        plan += [(name, c, text.scrub, None) for c in columns]
    for name, columns in JSON_COLUMNS.items():
        plan += [(name, c, text.scrub_json, None) for c in columns]
    out, touched = dict(tables), []
    for name, column, rewrite, mask in plan:
        table = out[name]
        if column not in table.column_names:
            continue
        values = _mapped(table[column], rewrite, mask)
        index = table.schema.get_field_index(column)
        out[name] = table.set_column(index, table.schema.field(index), values)
        touched.append(f"{name}.{column}")
    return out, touched


def _initiator_mask(events: pa.Table) -> pa.Array:
    """Rows whose initiator may be a person: any type but application or system."""
    if "initiated_by_type" not in events.column_names:
        return pa.array([True] * events.num_rows)
    kind = pc.utf8_lower(events["initiated_by_type"].combine_chunks())
    machine = pc.is_in(kind, value_set=pa.array(sorted(NON_PERSONAL_INITIATORS)))
    return pc.invert(pc.fill_null(machine, False))


def _attribute_mask(properties: pa.Table, personal: frozenset[str]) -> pa.Array:
    """Rows whose attribute name is personal."""
    encoded = pc.dictionary_encode(properties["name"].combine_chunks())
    flags = [attribute_key(n) in personal for n in encoded.dictionary.to_pylist()]
    return pc.fill_null(pc.take(pa.array(flags, pa.bool_()), encoded.indices), False)


def _mapped(
    column: pa.ChunkedArray, rewrite: Callable[[str], str], mask: pa.Array | None = None
) -> pa.Array:
    """`rewrite` applied once per distinct value (of the rows in `mask`, if given), spread
    back over those rows; other rows and nulls stay as they are."""
    values = column.combine_chunks()
    encoded = pc.dictionary_encode(values)
    dictionary = encoded.dictionary.to_pylist()
    wanted = encoded.indices if mask is None else pc.filter(encoded.indices, mask)
    for i in pc.unique(wanted).drop_null().to_pylist():
        dictionary[i] = rewrite(dictionary[i])
    rewritten = pc.take(pa.array(dictionary, pa.string()), encoded.indices)
    return rewritten if mask is None else pc.if_else(mask, rewritten, values)


def _each_unique(column: pa.ChunkedArray | pa.Array, visit: Callable[[str], Any]) -> None:
    for value in pc.unique(column).drop_null().to_pylist():
        visit(value)


def _present(table: pa.Table, columns: Iterable[str]) -> list[str]:
    return [c for c in columns if c in table.column_names]


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex matching any of `words`, longest first, shaped as a trie (`ab(?:c|d(?:e)?)`)
    so that each position is tried in time proportional to the word length, not to the
    number of words; "" when there are none."""
    ordered = sorted(set(words))
    return _alternation(ordered) if ordered else ""


def _alternation(words: list[str]) -> str:
    """The trie regex of sorted, distinct words: their common prefix, then one branch per
    next character (optional when a word ends at the prefix)."""
    # character-wise on purpose; sorted words: the first and the last suffice
    prefix = os.path.commonprefix([words[0], words[-1]])  # noqa: RUF071
    if len(words) == 1:
        return re.escape(prefix)
    n = len(prefix)
    ends_here = len(words[0]) == n  # sorted: the word equal to the prefix comes first
    rest = words[1:] if ends_here else words
    branches = [
        _alternation([w[n:] for w in group]) for _, group in groupby(rest, key=lambda w: w[n])
    ]
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return re.escape(prefix) + (f"(?:{body})?" if ends_here else body)


def _first_word(value: str) -> str:
    """The leading run of word characters, which a whole-word match needs to find as a word
    in the text ("" for a value that starts with another character: always looked for)."""
    found = _WORD.match(value)
    return found.group() if found else ""
