"""Which typed decoder, besides `graph_v1`'s, may take a page: chosen from the page itself.

`pages.normalize` asks here for the pages Graph v1.0's decoder does not read: pages of
other containers (`container_tables`), and text `graph_v1` declined (`text_tables`). Each
decoder returns None for a page it does not take, which then goes down the general path.
- Event Hub batches: `diagnostic_fast`, on the records' text (`sources.files` cuts the
  batch's `records` array into pages of text) or on parsed records;
- portal CSV rows joined with their companions: `portal_fast` (Arrow columns, or rows);
- other CSV rows (Arrow columns, or rows) and Log Analytics query results:
  `log_analytics_fast`;
- text with `action` or `statusInfo` (Graph beta, the portal's JSON download): `beta_fast`;
- text with `AADTenantId` or `TimeGenerated` (a Log Analytics JSON export):
  `log_analytics_fast`.
"""

from __future__ import annotations

from provlytics.normalize import beta_fast, diagnostic_fast, log_analytics_fast, portal_fast
from provlytics.normalize.graph_v1 import FastTables
from provlytics.origin import Container, Page

_ROWS = frozenset({Container.CSV, Container.LOG_ANALYTICS_TABLE})


def container_tables(page: Page) -> FastTables | None:
    """The tables of a page in a container `graph_v1` does not read; None if no typed
    decoder takes it (a page of jobs never)."""
    if page.jobs is not None:
        return None
    if page.container is Container.EVENT_HUB_BATCH:
        if isinstance(page.data, bytes):
            return diagnostic_fast.tables_from_json(page.data)
        return diagnostic_fast.tables_from_records(page.records) if page.records else None
    if page.container is Container.PORTAL_CSV and page.table is not None:
        return portal_fast.tables_from_csv(page.table)
    if page.container is Container.PORTAL_CSV and page.records:
        return portal_fast.tables_from_rows(page.records)
    if page.container is Container.CSV and page.table is not None:
        return log_analytics_fast.tables_from_csv(page.table.rows)
    if page.container in _ROWS and page.records:
        return log_analytics_fast.tables_from_records(page.records)
    return None


def text_tables(data: bytes | str, *, portal: bool) -> FastTables | None:
    """The tables of a page's text `graph_v1` declined (a JSON array or a Graph page);
    `portal`: the text is a bare JSON array file. None if no typed decoder takes it.

    The decoder is chosen from the page's first `_HEAD` characters (its first records):
    every decoder takes a page only if every record is in its dialect, so a page the head
    misleads about goes down the general path, as a page of mixed dialects does. Searching
    a whole page for a key it lacks cost ~3 us a record (a page of 1,000 Log Analytics rows
    is 3 MB, and the frequent `"` slows `in` down)."""
    if isinstance(data, str):
        try:
            data = data.encode()
        except UnicodeEncodeError:  # a lone surrogate: the general path names it
            return None
    head = data[:_HEAD]
    if b'"action"' in head or b'"statusInfo"' in head:
        fast = beta_fast.tables_from_json(data, portal=portal)
        if fast is not None:
            return fast
    if log_analytics_fast.looks_log_analytics(head):
        return log_analytics_fast.tables_from_json(data)
    return None


_HEAD = 1 << 16
