"""A load's pages, written into the store's table folders (`LoadPages`), by the loading
process or by a worker process of the same load (see `provlytics.store`).

Each page is written under a *page key*: an int64 that orders the pages of a load as a
one-process load would read them (the later copy of a repeated event wins by key). A load
that reads its pages in order numbers them 0, 1, 2...; a load spread over processes uses
`page_key(file, page)`, so that keys written by different processes still sort by file,
then page. Beside its files, a `LoadPages` keeps a 64-bit hash of each page's event ids
(`id_hashes`: the same in every process, unlike Python's `hash`), from which the commit
tells whether any id may be in two pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from provlytics.schema import LOG_TABLES, SCHEMAS
from provlytics.store.common import _flat
from provlytics.store.files import BUFFER_BYTES, Background, LoadFile, TableFiles
from provlytics.tables import keep_last, tag_occurrences

PAGE_BITS = 32  # a file's pages are keyed below 2**32, its index above


def page_key(file: int, page: int) -> int:
    """The key of page `page` (0-based) of the load's file `file` (0-based, in load order)."""
    return (file << PAGE_BITS) | page


@dataclass
class Written:
    """What a `LoadPages` wrote, once closed: its files per log table (`LoadFile`, with the
    Parquet footer of each) and the event id hashes of each page it wrote (int64 arrays;
    a page with a repeated id: its distinct hashes).
    Picklable: a worker process sends it to the loading process."""

    files: dict[str, list[LoadFile]]
    hashes: list[np.ndarray]


class LoadPages:
    """The files one process writes for a load: one `TableFiles` per log table, fed by a
    background thread (`Background`), and the id hashes of every page.

    Args:
        root: the store folder.
        load: the load's id (`files.load_id`), part of every file name.

    Raises:
        OSError: (`write`, `close`) the files could not be written.
    """

    def __init__(self, root: Path, load: str) -> None:
        self.root = root
        self.load = load
        self._background = Background()
        self._files = {name: TableFiles(root / name, SCHEMAS[name], load) for name in LOG_TABLES}
        self._hashes: list[np.ndarray] = []
        self._next = 0  # the key of the next page written without one

    def write(self, page: Any, key: int | None = None) -> None:
        """Hand one normalized page (`PageTables`) to the writing thread under `key` (None:
        the key after the last page written without one); an event repeated within the page
        is kept once, its last copy with that copy's children."""
        if key is None:
            key, self._next = self._next, self._next + 1
        size = sum(batch.get_total_buffer_size() for batch in page.batches.values())
        self._background.submit(lambda: self._add_page(page, key), size)

    def write_tables(self, tables: dict[str, Any]) -> None:
        """Hand de-duplicated log tables (Arrow tables by name) to the writing thread."""
        key, self._next = self._next, self._next + 1
        self._background.submit(lambda: self._add(tables, key))

    def close(self) -> Written:
        """Wait for the writing thread, write every buffer and close every file."""
        self._background.drain()
        self._background.close()
        files = {name: table_files.close() for name, table_files in self._files.items()}
        for load_files in files.values():
            for load_file in load_files:
                load_file.writer = None  # closed; not picklable
        return Written(files, self._hashes)

    def discard(self) -> None:
        """Stop the writing thread and delete every file written (none committed)."""
        self._background.close()
        for table_files in self._files.values():
            table_files.discard()
        self._hashes = []

    def own(self) -> dict[str, set[str]]:
        """The paths (relative to the table folder) of this writer's files, per log table,
        once the writing thread has written every page handed to it."""
        self._background.drain()
        return {name: table_files.paths() for name, table_files in self._files.items()}

    def _add_page(self, page: Any, key: int) -> None:
        """Write one page (`PageTables`) as `_add` does, each event once: its batches as
        they are when the ids' hashes all differ (then so do the ids), else its events'
        last copies (`_last_copies`, which compares the ids themselves)."""
        hashes = id_hashes(page.batches["events"]["event_id"])
        distinct = np.unique(hashes)
        if len(distinct) == len(hashes):
            self._add(page.batches, key, hashes)
        else:  # the last copies hold every id once: their hashes are the distinct ones
            self._add(_last_copies(page), key, distinct)

    def _add(self, tables: dict[str, Any], key: int, hashes: np.ndarray | None = None) -> None:
        """Write the log tables of one page (each event once) into the load's files (in the
        writing thread), each row in the partition of its `row_dates`. `hashes`: the
        events' `id_hashes` (in any order), if known."""
        ids = tables["events"]["event_id"]
        self._hashes.append(id_hashes(ids) if hashes is None else hashes)
        for name, rows, days in row_dates(tables):
            self._files[name].add(rows, days, key)
        while sum(f.buffered for f in self._files.values()) > BUFFER_BYTES:
            fullest = max(self._files.values(), key=lambda f: f.buffered)
            fullest.flush(fullest.largest())


def row_dates(tables: dict[str, Any]) -> list[tuple[str, Any, pa.Array]]:
    """The log tables of one page that have rows, each as (name, rows, dates): the UTC date
    (`date32`) of each row's event, null when unknown (a child row without its event in
    the page: unknown), as `TableFiles.add` takes them."""
    events = tables["events"]
    ids, days = _flat(events["event_id"]), _flat(events["activity_time"]).cast(pa.date32())
    out = []
    for name in LOG_TABLES:
        rows = tables[name]
        if rows.num_rows:
            own = days if name == "events" else pc.take(days, pc.index_in(rows["event_id"], ids))
            out.append((name, rows, own))
    return out


def _last_copies(page: Any) -> dict[str, Any]:
    """The log tables of a page, each event once: its last copy with that copy's children
    (the batches as they are when no id repeats, checked with one hash pass)."""
    batches = page.batches
    events = batches["events"]
    if events.num_rows < 2 or len(pc.unique(events["event_id"])) == events.num_rows:
        return batches
    tagged = tag_occurrences(page, 0)
    return keep_last({name: pa.Table.from_batches([b]) for name, b in tagged.items()})


_MULTIPLIER = np.uint64(0x100000001B3)  # FNV-1's 64-bit prime
_powers = np.cumprod(np.full(64, _MULTIPLIER, np.uint64), dtype=np.uint64)


def id_hashes(ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of each text id (int64): a polynomial of its UTF-8 bytes, mixed with
    its length and finished with splitmix64; computed in numpy over the Arrow buffers (as
    one matrix when every id has the same length), and the same in every process (Python's
    `hash` of text is not). A null hashes as ""."""
    ids = _flat(ids)
    if not len(ids):
        return np.empty(0, np.int64)
    if not pa.types.is_large_string(ids.type):
        ids = ids.cast(pa.large_string())  # one offsets width (a copy of the offsets only)
    _validity, offsets_buffer, data_buffer = ids.buffers()
    offsets = np.frombuffer(offsets_buffer, np.int64)[ids.offset : ids.offset + len(ids) + 1]
    data = np.frombuffer(data_buffer, np.uint8)[offsets[0] : offsets[-1]] if data_buffer else []
    starts, lengths = offsets[:-1] - offsets[0], np.diff(offsets)
    width = int(lengths[0])
    if width and (lengths == width).all():  # ids of one length (GUIDs): a matrix, no gather
        rows = np.asarray(data, np.uint64).reshape(len(ids), width)
        sums = (rows * _power_table(width)[:width]).sum(axis=1, dtype=np.uint64)
    else:
        position = np.arange(len(data), dtype=np.int64) - np.repeat(starts, lengths)
        weights = _power_table(int(lengths.max()))[position]
        terms = np.append(np.asarray(data, np.uint64) * weights, np.zeros(1, np.uint64))
        sums = np.add.reduceat(terms, starts)
        sums[lengths == 0] = 0  # reduceat gives the next id's first term for an empty one
    return _splitmix(sums ^ (lengths.astype(np.uint64) << np.uint64(48))).view(np.int64)


def _power_table(length: int) -> np.ndarray:
    """`_MULTIPLIER ** (i + 1)` modulo 2**64, for i below `length` (cached, grown as needed)."""
    global _powers
    if len(_powers) < length:
        _powers = np.cumprod(np.full(length, _MULTIPLIER, np.uint64), dtype=np.uint64)
    return _powers


def _splitmix(values: np.ndarray) -> np.ndarray:
    values = values + np.uint64(0x9E3779B97F4A7C15)
    values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))
