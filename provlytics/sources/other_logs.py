"""Entra audit logs and sign-in logs saved as JSON, told apart from provisioning logs by the
head of the file, so that a load leaves them out with a warning (as `sources.files.file_tasks`
does for their CSV downloads, `sources.portal_pairs`).

Graph serves them as pages like the provisioning log's: `{"@odata.context":
".../$metadata#auditLogs/directoryAudits", "value": [...]}` and `.../auditLogs/signIns`. They
are also saved as a bare list of records, or one record a line. A file is told by its page's
`@odata.context`, else by the fields of its first record (a directoryAudit has
`activityDisplayName` and `loggedByService`; a signIn `userPrincipalName`, `appDisplayName`
and `createdDateTime`, or Log Analytics' `ConditionalAccessStatus`, `ClientAppUsed` and
`AppDisplayName`), matched whatever their case (PowerShell and Log Analytics write them in
PascalCase). Only the head of a file is read: the first 16 KiB, more (up to 1 MiB) while the
first record is not complete; the members of a `.zip` archive through the archive opened
once (`archives.reading_pass`). A file not told (unreadable, malformed, a first record
longer than that) is read as any other, and reading it says what is wrong with it.

An Event Hub batch (`{"records": [...]}`) may mix the categories of a diagnostic setting, so
its first record says nothing of the others: it is never told here.
"""

from __future__ import annotations

import codecs
import gzip
import json
import logging
import re
from collections.abc import Iterable
from contextlib import ExitStack
from typing import IO, Any

from provlytics.origin import fold_header
from provlytics.sources.archives import archive_at, reading_pass
from provlytics.sources.portal_pairs import AUDIT, FOREIGN, SIGN_INS
from provlytics.sources.reading import (
    BOM,
    GZIP_MAGIC,
    STREAM_ERRORS,
    UTF16_BOMS,
    InputFile,
    data_suffix,
)

logger = logging.getLogger(__name__)

JSON_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson"})
PROBE_SIZES = (16 * 2**10, 128 * 2**10, 2**20)  # bytes of a file's head read, in turn
_CONTEXTS = re.compile(r"#auditLogs/(directoryAudits|signIns)\b", re.IGNORECASE)
_CONTEXT_ROLES = {"directoryaudits": AUDIT, "signins": SIGN_INS}
# the fields of a record that tell it, folded (`fold_header`); any one set of a role suffices
_TELLING_FIELDS = {
    AUDIT: (frozenset({"activitydisplayname", "loggedbyservice"}),),
    SIGN_INS: (
        frozenset({"userprincipalname", "appdisplayname", "createddatetime"}),
        frozenset({"conditionalaccessstatus", "clientappused", "appdisplayname"}),
    ),
}
_SHOWN_FIELDS = {  # named in messages, those the record has, as it spells them
    AUDIT: ("activityDisplayName", "category", "loggedByService", "operationType"),
    SIGN_INS: (
        "userPrincipalName", "appDisplayName", "createdDateTime", "status",
        "conditionalAccessStatus", "clientAppUsed",
    ),
}  # fmt: skip
SHOWN = 4  # fields named in a message
_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"\s*")


class _Incomplete(Exception):
    """The head read so far ends before what tells the file (or is not JSON)."""


def other_logs(files: Iterable[InputFile]) -> dict[InputFile, str]:
    """The JSON files among `files` that hold Entra audit or sign-in logs, each with what it
    looks like and what tells it ("looks like an Entra audit log export (@odata.context
    https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits)"), in file order."""
    found = {}
    with reading_pass():  # each archive opened once
        for file in files:
            if data_suffix(file) in JSON_SUFFIXES:
                what = _sniff(file)
                if what is not None:
                    found[file] = what
    return found


def _head_stream(file: InputFile, opened_here: ExitStack) -> IO[bytes]:
    """A file's bytes, gunzipped (a zip member's through the pass's archive);
    `opened_here` closes what this opens for the file."""
    if file.member is None:
        raw: IO[bytes] = opened_here.enter_context(file.path.open("rb"))
    else:
        archive = opened_here.enter_context(archive_at(file.path))
        raw = opened_here.enter_context(archive.open(file.member))
    if raw.peek(2)[:2] == GZIP_MAGIC:  # type: ignore[attr-defined]
        return opened_here.enter_context(gzip.GzipFile(fileobj=raw, mode="rb"))
    return raw


def _sniff(file: InputFile) -> str | None:
    """What `file` looks like, if its head tells audit or sign-in logs; None otherwise
    (also when it cannot be read: reading it for the load says why)."""
    head = b""
    try:
        with ExitStack() as opened_here:
            stream = _head_stream(file, opened_here)
            for size in PROBE_SIZES:
                head += stream.read(size - len(head))
                try:
                    return _told(_text(head))
                except _Incomplete:
                    if len(head) < size:  # the whole file was read: not told
                        return None
    except (KeyError, RuntimeError, NotImplementedError, *STREAM_ERRORS):
        return None
    return None


def _text(head: bytes) -> str:
    """The head as text: UTF-8 (a character cut at its end left out), or UTF-16 after a
    byte-order mark."""
    if head[:2] in UTF16_BOMS:
        return codecs.decode(head[: len(head) // 2 * 2], "utf-16", errors="ignore")
    return head.removeprefix(BOM).decode("utf-8", errors="ignore")


def _told(text: str) -> str | None:
    """What the document starting `text` looks like (None: provisioning logs or anything
    else that is not told here).

    Raises:
        _Incomplete: `text` ends before the context or the first record does.
    """
    at = _skip(text, 0)
    if text.startswith("[", at):
        return _by_record(_first_element(text, at))
    if not text.startswith("{", at):
        return None
    page = _by_page_head(text, at)
    if page is not _NOT_A_PAGE:
        return page
    return _by_record(_decode(text, at)[0])  # one record, or the first of JSON lines


_NOT_A_PAGE = "not a page"
# members of documents that hold records, not records: an Event Hub batch's `records`, a Log
# Analytics result's `tables`, a Graph error response's `error`
_NOT_RECORDS = frozenset({"records", "tables", "error"})


def _by_page_head(text: str, at: int) -> str | None:
    """What the Graph page whose `{` is at `at` looks like, from its members before `value`
    (a telling `@odata.context`) and the first record of `value`; at a member before
    `value` that holds a list or an object (a Graph page's are scalars), None if it is one
    of `_NOT_RECORDS` (an Event Hub batch...), else `_NOT_A_PAGE` (a record), as at the end
    without `value`.

    Raises:
        _Incomplete: `text` ends before either tells.
    """
    at = _skip(text, at + 1)
    while not text.startswith("}", at):
        key, at = _decode(text, at)
        at = _skip(text, at)
        if not isinstance(key, str) or not text.startswith(":", at):
            return None
        at = _skip(text, at + 1)
        if key == "value" and text.startswith("[", at):
            return _by_record(_first_element(text, at))
        if text.startswith(("[", "{"), at):
            return None if key in _NOT_RECORDS else _NOT_A_PAGE
        value, at = _decode(text, at)
        if key == "@odata.context" and (told := _by_context(value)):
            return told
        at = _skip(text, at)
        if text.startswith(",", at):
            at = _skip(text, at + 1)
        elif not text.startswith("}", at):
            return None
    return _NOT_A_PAGE


def _first_element(text: str, at: int) -> Any:
    """The first element of the list whose `[` is at `at` (None: an empty list).

    Raises:
        _Incomplete: `text` ends before it does.
    """
    at = _skip(text, at + 1)
    if text.startswith("]", at):
        return None
    return _decode(text, at)[0]


def _decode(text: str, at: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, at)
    except json.JSONDecodeError:
        raise _Incomplete from None


def _skip(text: str, at: int) -> int:
    end = _SPACE.match(text, at).end()  # type: ignore[union-attr]
    if end == len(text):
        raise _Incomplete
    return end


def _by_context(context: Any) -> str | None:
    if not isinstance(context, str):
        return None
    match = _CONTEXTS.search(context)
    if match is None:
        return None
    role = _CONTEXT_ROLES[match.group(1).lower()]
    return f"looks like {FOREIGN[role]} (@odata.context {context})"


def _by_record(record: Any) -> str | None:
    if not isinstance(record, dict):
        return None
    spelled = {fold_header(key): key for key in record if isinstance(key, str)}
    for role, field_sets in _TELLING_FIELDS.items():
        if any(fields <= spelled.keys() for fields in field_sets):
            shown = [spelled[f.lower()] for f in _SHOWN_FIELDS[role] if f.lower() in spelled]
            named = ", ".join(shown[:SHOWN]) + (", ..." if len(shown) > SHOWN else "")
            return f"looks like {FOREIGN[role]} (fields {named})"
    return None
