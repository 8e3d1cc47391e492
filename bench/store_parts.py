"""Benchmark: where a one-process load into the store spends its time, part by part.

    python -m bench.store_parts [--records 100000] [--repeat 5] [--days 3] [--buffers 16 32]

Writes N synthetic Graph v1.0 records as pages of 1000 (`bench.normalize.write_pages`),
normalizes them once (timed: the `normalize` part), then times in this process, in
`--repeat` interleaved rounds (medians), each part of the store's work on those pages:
- id hashing: `store.pages.id_hashes` of each page's event ids;
- page dates: each row's partition date (events' `activity_time` as `date32`, children by
  their event) and the split of each table's rows by date (`store.files._by_date`);
- Parquet encoding: every log table's rows written as the store writes them (row groups
  of `ROW_GROUP_ROWS` rows, into memory), with the store's options
  (`store.files.writer_options`) and, as the baseline, zstd alone with Arrow's defaults
  (the options before); with the bytes each writes;
- whole load: `StoreWriter.write_page` of every page, then `commit`, into a new store
  (its writing thread and Delta commit included), less the encoding is the rest: page
  keys, buffers, footers and the commit; once for each `--buffers` size (MB of rows all
  tables buffer before the fullest partition is written as a row group, `BUFFER_BYTES`:
  larger buffers, larger row groups).
Prints milliseconds per part and per 100k records.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from bench.normalize import write_pages
from provlytics.normalize.batch import PageTables
from provlytics.pipeline.route import file_tables
from provlytics.schema import LOG_TABLES, SCHEMAS
from provlytics.sources.files import file_tasks
from provlytics.store import pages as store_pages
from provlytics.store.files import (
    BUFFER_BYTES,
    COMPRESSION,
    ROW_GROUP_ROWS,
    _by_date,
    writer_options,
)
from provlytics.store.pages import id_hashes, page_key, row_dates
from provlytics.store.write import StoreWriter


def normalized(data: Path) -> list[tuple[int, PageTables]]:
    """The log pages of every file under `data`, with their page keys."""
    pages = []
    for index, task in enumerate(file_tasks([data])):
        for number, page in enumerate(file_tables(task, "raise")):
            if isinstance(page.tables, PageTables):
                pages.append((page_key(index, number), page.tables))
    return pages


def hashing(pages: list[tuple[int, PageTables]]) -> None:
    for _key, page in pages:
        id_hashes(page.batches["events"]["event_id"])


def dates(pages: list[tuple[int, PageTables]]) -> None:
    for _key, page in pages:
        for _name, rows, days in row_dates(page.batches):
            _by_date(pa.Table.from_batches([rows]), days)


def encoding(tables: dict[str, pa.Table], options: Callable[[pa.Schema], dict]) -> int:
    """Write every table as the store does, into memory; returns the bytes written."""
    written = 0
    for name, table in tables.items():
        sink = pa.BufferOutputStream()
        writer = pq.ParquetWriter(sink, SCHEMAS[name], **options(SCHEMAS[name]))
        for first in range(0, table.num_rows, ROW_GROUP_ROWS):
            group = table.slice(first, ROW_GROUP_ROWS)
            writer.write_table(group, row_group_size=group.num_rows)
        writer.close()
        written += sink.getvalue().size
    return written


def whole(pages: list[tuple[int, PageTables]], root: Path, buffer_mb: int) -> None:
    store_pages.BUFFER_BYTES = buffer_mb * 2**20
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    writer = StoreWriter(root)
    try:
        for key, page in pages:
            writer.write_page(page, key=key)
        writer.commit({})
    finally:
        writer.abort()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="rounds of every part (median)")
    parser.add_argument("--days", type=float, default=3, help="days the records span")
    parser.add_argument(
        "--buffers", type=int, nargs="+", default=[BUFFER_BYTES // 2**20], help="MB (whole load)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="provlytics-bench-parts-") as tmp:
        work = Path(tmp)
        write_pages(work / "data", args.records, 1000, days=args.days)
        start = time.perf_counter()
        pages = normalized(work / "data")
        normalize = time.perf_counter() - start
        tables = {
            name: pa.Table.from_batches([page.batches[name] for _key, page in pages])
            for name in LOG_TABLES
        }
        parts: dict[str, Callable[[], Any]] = {
            "id hashing": lambda: hashing(pages),
            "page dates": lambda: dates(pages),
            "Parquet encoding (before)": lambda: encoding(tables, _zstd_only),
            "Parquet encoding (store)": lambda: encoding(tables, writer_options),
        }
        for mb in args.buffers:
            parts[f"whole load, {mb} MB buffers"] = partial(whole, pages, work / "store", mb)
        seconds: dict[str, list[float]] = {name: [] for name in parts}
        sizes = {}
        for _ in range(args.repeat):
            for name, part in parts.items():
                begin = time.perf_counter()
                result = part()
                seconds[name].append(time.perf_counter() - begin)
                sizes[name] = result
    scale = 100_000 / args.records
    print(f"{'part':<30}{'ms':>9}{'ms/100k':>10}{'MB':>8}")
    first = "normalize (read + normalize)"
    print(f"{first:<30}{normalize * 1e3:>9.0f}{normalize * 1e3 * scale:>10.0f}")
    for name, values in seconds.items():
        ms = statistics.median(values) * 1e3
        size = f"{sizes[name] / 2**20:>8.1f}" if isinstance(sizes[name], int) else ""
        print(f"{name:<30}{ms:>9.0f}{ms * scale:>10.0f}{size}")


def _zstd_only(_schema: pa.Schema) -> dict[str, Any]:
    """The store's Parquet options before dictionaries and statistics were chosen per column."""
    return {"compression": COMPRESSION}


if __name__ == "__main__":
    main()
