"""CSV files through Arrow's streaming CSV reader, read exactly as the `csv` module reads them.

`batches` reads a file in blocks (`BLOCK_BYTES` of text at a time: memory is bounded by a
block, not by the file) into Arrow record batches, one `string` column per header, an empty
cell as "" (never null), each row with the number of the line it ends on (as
`csv.DictReader.line_num` counts lines: a line break inside a quoted cell, `\\r\\n`, `\\r` or
`\\n`, starts a new line). Where Arrow would read otherwise than the `csv` module, it stops
with `Unplain` *before* handing over a row of the batch concerned: a header that is quoted,
blank, repeated, not UTF-8, separated by ';' or tabs and not commas, or Windows PowerShell's
`#TYPE` line; UTF-16 text; a blank line
(Arrow reads it as a row of empty cells, the `csv` module skips it) or a row of empty cells
only; a short or long row, a row longer than a block, text that is not UTF-8, or any
other error Arrow raises. The caller then reads the rest of the file with the `csv` module,
which also names what is wrong.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from provlytics.errors import InputError
from provlytics.sources.reading import BOM, STREAM_ERRORS, UTF16_BOMS, InputFile, open_binary

BLOCK_BYTES = 4 * 2**20
_LINE_BREAK = r"\r\n|\r|\n"
_READ_ERRORS = (pa.ArrowException, InputError, *STREAM_ERRORS, UnicodeDecodeError)


class Unplain(Exception):
    """Arrow cannot go on reading this file as the `csv` module reads it."""


def batches(file: InputFile) -> Iterator[tuple[pa.RecordBatch, np.ndarray]]:
    """(batch, the line each row ends on, `int64`) for each block of the file's rows.

    Raises:
        Unplain: from the first batch Arrow does not read as the `csv` module (see the
            module's docstring); the rows handed over before are the `csv` module's.
    """
    with open_binary(file) as stream:
        names = _header(stream, file.max_line)
        if names is None:
            return
        try:
            reader = _reader(_KeptLineEnds(stream), names)
        except _READ_ERRORS as exc:
            raise Unplain(str(exc)) from exc
        line = 1
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except _READ_ERRORS as exc:
                raise Unplain(str(exc)) from exc
            if not batch.num_rows:
                continue
            if _empty_rows(batch):
                raise Unplain("a blank line, or a row of empty cells")
            ends = line + np.cumsum(1 + _breaks(batch))
            line = int(ends[-1])
            yield batch, ends


def pages(file: InputFile, page_size: int) -> Iterator[tuple[pa.RecordBatch, np.ndarray]]:
    """`batches` cut into pages of `page_size` rows (the last one shorter); raises
    `Unplain` as `batches` does, the rows of the pages handed over being the `csv` module's.
    """
    held: list[tuple[pa.RecordBatch, np.ndarray]] = []
    count = 0
    for batch, lines in batches(file):
        held.append((batch, lines))
        count += batch.num_rows
        if count < page_size:
            continue
        table = pa.Table.from_batches([b for b, _l in held]).combine_chunks()  # once a block
        all_lines = np.concatenate([lines for _b, lines in held])
        start = 0
        while count - start >= page_size:
            yield table.slice(start, page_size).to_batches()[0], all_lines[start:][:page_size]
            start += page_size
        rest = table.slice(start)
        count = rest.num_rows
        held = [(rest.to_batches()[0], all_lines[start:])] if count else []
    if count:
        table = pa.Table.from_batches([b for b, _l in held]).combine_chunks()
        yield table.to_batches()[0], np.concatenate([lines for _b, lines in held])


def _header(stream: IO[bytes], limit: int) -> list[str] | None:
    """The header row's names; None if the file holds nothing after it (no row to read).

    Raises `Unplain` for a header the `csv` module reads otherwise (or must name as bad)."""
    try:
        first = stream.readline(limit + 1)
        more = bool(stream.peek(1)) if first.endswith(b"\n") else False
    except _READ_ERRORS as exc:
        raise Unplain(str(exc)) from exc
    if first[:2] in UTF16_BOMS:
        raise Unplain("UTF-16 text")
    text = first.removeprefix(BOM).removesuffix(b"\n").removesuffix(b"\r")
    if len(first) > limit or b"\r" in text or b'"' in text or text.startswith(b"#TYPE"):
        raise Unplain("a header the csv module reads")
    if b"," not in text and (b";" in text or b"\t" in text):
        raise Unplain("a header separated otherwise than by commas")
    try:
        names = text.decode("utf-8").split(",")
    except UnicodeDecodeError as exc:
        raise Unplain("a header that is not UTF-8") from exc
    if not text.strip() or len(set(names)) != len(names):
        raise Unplain("a blank header, or one naming a column twice")
    return names if more else None


class _KeptLineEnds(io.RawIOBase):
    """A stream whose reads never end between the `\r` and the `\n` of a line break: a
    block of Arrow's reader that does loses the `\n` when the break is inside a quoted
    cell (pyarrow 26); the `\r` is held back for the next read."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream, self._held = stream, b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            data, self._held = self._held + self._stream.read(), b""
            return data
        data = self._held + self._stream.read(max(size - len(self._held), 1))
        self._held = b""
        if len(data) > 1 and data.endswith(b"\r"):
            self._held, data = data[-1:], data[:-1]
        return data


def _reader(stream: IO[bytes], names: list[str]) -> pa_csv.CSVStreamingReader:
    return pa_csv.open_csv(
        stream,
        read_options=pa_csv.ReadOptions(
            column_names=names, block_size=BLOCK_BYTES, use_threads=False
        ),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _empty_rows(batch: pa.RecordBatch) -> bool:
    """Whether a row has only empty cells (a blank line among them)."""
    empty = None
    for column in batch.columns:
        blank = pc.equal(pc.binary_length(column), 0)
        empty = blank if empty is None else pc.and_(empty, blank)
        if not pc.any(empty).as_py():
            return False
    return True


def _breaks(batch: pa.RecordBatch) -> np.ndarray:
    """The line breaks inside each row's cells."""
    breaks = np.zeros(batch.num_rows, np.int64)
    for column in batch.columns:
        values = column.buffers()[2]  # the cells' bytes (a batch as read: not a slice)
        if values is None:
            continue
        text = values.to_pybytes()
        if b"\n" in text or b"\r" in text:  # memchr: cheaper than counting each cell's
            counts = pc.count_substring_regex(column, _LINE_BREAK)
            breaks += counts.to_numpy(zero_copy_only=False)
    return breaks
