"""Graph beta pages and the portal's JSON download the fast way: raw tokens to Arrow columns.

A page whose records are in the beta shape (`beta_records`: v1.0's fields plus the legacy
`action` and flat `statusInfo`) is decoded against typed structs, every value a raw token,
and `typed_fast` turns the tokens of the whole page into columns, each a coalesce of the
spellings the alias table reads in its order (`provisioningAction` before `action`,
`provisioningStatusInfo` before `statusInfo`). Every record must have `action` or
`statusInfo`, as `dialects.detect_dialect` tells the dialect record by record: the page's
dialect is then `graph.beta.legacy`, or `portal` for a bare JSON array (the portal's JSON
download). Anything else sends the page down the general path (None), as in `typed_fast`.
"""

from __future__ import annotations

import msgspec

from provlytics.normalize.beta_records import (
    ABSENT,
    DURATION,
    ENUMS,
    EXTRA,
    TEXTS,
    BetaPage,
    LegacyStatus,
    Record,
)
from provlytics.normalize.dialects import Dialect
from provlytics.normalize.graph_v1 import FastTables
from provlytics.normalize.graph_v1_records import (
    ErrorInfo,
    StatusInfo,
    party_holders,
)
from provlytics.normalize.raw_columns import decoded_tokens
from provlytics.normalize.typed_fast import Shape, page_batches

SHAPES = {
    dialect: Shape(dialect.value, TEXTS, ENUMS, DURATION, EXTRA)
    for dialect in (Dialect.GRAPH_BETA_LEGACY, Dialect.PORTAL)
}
_DECODER = msgspec.json.Decoder(BetaPage | list[Record])
_NO_STATUS, _NO_ERROR, _NO_LEGACY = StatusInfo(), ErrorInfo(), LegacyStatus()


def tables_from_json(data: bytes | str, *, portal: bool = False) -> FastTables | None:
    """A Graph beta page, or a JSON array of beta records, straight to the tables; None if
    the text needs the general path (another shape, text not UTF-8, a record with neither
    `action` nor `statusInfo`, or any surprise `typed_fast` names).

    `portal`: the text is a bare JSON array file (the portal's JSON download, dialect
    `portal`); a Graph page (`{"value": [...]}`) is never one."""
    decoded = _decode(data)
    if decoded is None:
        return None
    records, array = decoded
    dialect = Dialect.PORTAL if portal and array else Dialect.GRAPH_BETA_LEGACY
    batches = page_batches(_holders(records), SHAPES[dialect])
    if batches is None:
        return None
    return FastTables(*batches, len(records))


def _decode(data: bytes | str) -> tuple[list[Record], bool] | None:
    """The records, and whether the text was a bare array; None as `tables_from_json`."""
    decoded = decoded_tokens(_DECODER, data, "Graph beta")
    if decoded is None:
        return None
    array = not isinstance(decoded, BetaPage)
    records = decoded if array else decoded.value
    if not all(r.action is not ABSENT or r.status_info is not msgspec.UNSET for r in records):
        return None  # a record in another dialect (v1.0: `graph_v1` reads those)
    return records, array


def _holders(records: list[Record]) -> dict[str, list]:
    """The objects each column is read from, one per record (a default where absent)."""
    psi = [r.provisioning_status_info or _NO_STATUS for r in records]
    return {
        "props": records,
        "psi": psi,
        "error": [s.error_information or _NO_ERROR for s in psi],
        "legacy": [r.status_info or _NO_LEGACY for r in records],
        **party_holders(records),
    }
