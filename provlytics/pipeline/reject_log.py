"""The warnings of a load that sets bad records aside (`on_error="collect"`): each reject
named as the raise-mode error names it, a run of alike ones said once.

A reject is warned as "rejected FILE:LINE: record N: 'field': reason" (the text of the
`InputError` raise mode stops with). Of the rejects of one file for the same field and
reason, the first `SHOWN_ALIKE` are warned one by one and the rest counted in one line
at the end ("FILE: 75 more records rejected for 'TimeGenerated': is missing"). When every
record of a file (two or more) is rejected for the same field and reason, that is one line
for the file: "noTG.csv: every record (80) lacks 'TimeGenerated' (no such column?)".
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence

from provlytics.normalize.batch import Reject
from provlytics.user_warnings import warn_load

logger = logging.getLogger(__name__)

SHOWN_ALIKE = 5  # rejects of one file for one field and reason warned one by one
_LOCATION = re.compile(r"(?s)(.*?)(?::\d+)?(?:: page \d+)?(?:: record \d+)?")


class RejectLog:
    """Warns the rejects of a load as they come (`file_done`, `add`), and the count of the
    alike ones it did not show when the load ends (`close`)."""

    def __init__(self) -> None:
        self._alike: Counter[tuple[str, str | None, str]] = Counter()

    def file_done(self, rejects: Sequence[Reject], records: int) -> None:
        """The rejects of one whole file, of which `records` log records were read (the
        rejected ones among them): one line when every record (two or more) was rejected
        for the same field and reason, else as `add`."""
        causes = {(r.field, r.reason) for r in rejects}
        if records > 1 and len(rejects) == records and len(causes) == 1:
            warn_load(logger, _every_record(rejects[0], records))
            return
        self.add(rejects)

    def add(self, rejects: Sequence[Reject]) -> None:
        """Warn each reject, unless `SHOWN_ALIKE` of its file, field and reason were."""
        for reject in rejects:
            key = (file_of(reject.origin), reject.field, reject.reason)
            self._alike[key] += 1
            if self._alike[key] <= SHOWN_ALIKE:
                warn_load(logger, f"rejected {described(reject)}")

    def close(self) -> None:
        """One line for each file, field and reason of which rejects went unshown."""
        for (file, field, reason), count in self._alike.items():
            if count > SHOWN_ALIKE:
                more = count - SHOWN_ALIKE
                records = "record" if more == 1 else "records"
                warn_load(
                    logger, f"{file}: {more} more {records} rejected for {_cause(field, reason)}"
                )
        self._alike.clear()


def warn_set_aside(count: int, origin: str, field: object, reason: str) -> None:
    """The one warning of a load into memory that set `count` rejects aside, naming the
    first (its `origin`, `field` (a non-str: none) and `reason`), as `frames.rejects` lists
    them all: "2 records or files set aside, listed in frames.rejects; the first: ..."."""
    things = "record or file" if count == 1 else "records or files"
    first = _cause(field if isinstance(field, str) else None, reason)
    warn_load(
        logger,
        f"{count} {things} set aside, listed in frames.rejects; the first: {origin}: {first}",
    )


def described(reject: Reject) -> str:
    """ "noTG.csv:80: record 79: 'TimeGenerated': is missing", as raise mode's error says."""
    return f"{reject.origin}: {_cause(reject.field, reject.reason)}"


def file_of(origin: str) -> str:
    """The file an origin names ("d1/PT1H.json" of "d1/PT1H.json: page 2: record 3")."""
    match = _LOCATION.fullmatch(origin)
    return match.group(1) if match and match.group(1) else origin


def _cause(field: str | None, reason: str) -> str:
    return f"{field!r}: {reason}" if field else reason


def _every_record(reject: Reject, records: int) -> str:
    file = file_of(reject.origin)
    if reject.field and reject.reason == "is missing":
        kind = "column" if ".csv" in file.lower() else "field"
        return f"{file}: every record ({records}) lacks {reject.field!r} (no such {kind}?)"
    return f"{file}: every record ({records}) rejected for {_cause(reject.field, reject.reason)}"
