"""JSON lines as bytes: a file's lines found block by block, each block checked as UTF-8 once.

Reading JSON lines as text decoded every line to `str`, and the normalizer encoded the page
back to bytes for its decoders: on diagnostic exports (`PT1H.json`, ~3 KB a line) that was
~14 µs a record, as much as decoding it. Here a file is read in blocks of `BLOCK` bytes, each
block cut after its last line end, checked as UTF-8 in one vectorised pass and split into
lines; memory is bounded by a block and the longest line allowed. Lines end where text mode
ends them (`\\n`, `\\r\\n` or `\\r`), and are numbered as text mode numbers them.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator

from provlytics.origin import UnparsedRecord, utf8_text
from provlytics.sources.reading import BOM, UTF16_BOMS, InputFile, open_binary

BLOCK = 8 * 2**20
_SHOWN = 200  # characters of an over-long line kept in its reject


def file_blocks(path: InputFile) -> Iterator[bytes]:
    """A file's bytes (decompressed) in blocks of `BLOCK`, as UTF-8: a UTF-8 byte-order mark
    dropped, UTF-16 text (with its mark) converted block by block.

    Raises:
        OSError, EOFError: the file cannot be read (a truncated gzip stream).
        UnicodeDecodeError: UTF-16 text that is not.
    """
    with open_binary(path) as stream:
        if stream.peek(2)[:2] in UTF16_BOMS:
            decoder = codecs.getincrementaldecoder("utf-16")()
            while block := stream.read(BLOCK):
                yield decoder.decode(block).encode()
            yield decoder.decode(b"", final=True).encode()
            return
        first = stream.read(BLOCK).removeprefix(BOM)
        yield first
        while block := stream.read(BLOCK):
            yield block


def memory_blocks(data: bytes) -> Iterator[bytes]:
    """A file already read (`reading.read_bytes`: UTF-8, no byte-order mark) in blocks."""
    for start in range(0, len(data), BLOCK):
        yield data[start : start + BLOCK]


def numbered_lines(
    blocks: Iterable[bytes], max_line: int
) -> Iterator[tuple[int, bytes | UnparsedRecord]]:
    """The non-blank lines of `blocks` (without their line ends) with their numbers (from 1,
    blank lines counted). A line longer than `max_line` bytes comes as an `UnparsedRecord`
    holding its first 200 characters (the rest is read past, never held); a line that is not
    UTF-8 text as one naming the first bad byte (the other lines are read as usual)."""
    number = 0
    for part, skipping in _chunks(blocks, max_line):
        lines = [part] if isinstance(part, UnparsedRecord) else _lines(part, skipping, max_line)
        for line in lines:
            number += 1
            if line:
                yield number, line


def _chunks(
    blocks: Iterable[bytes], max_line: int
) -> Iterator[tuple[bytes | UnparsedRecord, bool]]:
    """`blocks` cut into chunks of whole lines, each with whether its first line is the rest
    of an over-long line already reported; such a line, once its start passes `max_line`
    bytes, as an `UnparsedRecord` (read past, never held)."""
    carry: list[bytes] = []  # the start of a line whose end is in a later block
    held = 0
    skipping = False  # the rest of an over-long line already reported is still to come
    for block in blocks:
        cut = max(block.rfind(b"\n"), block.rfind(b"\r", 0, len(block) - 1)) + 1
        if not cut:  # no line ends here (a `\r` last may be the start of `\r\n`)
            carry.append(block)
            held += len(block)
            if held > max_line and not skipping:
                yield _over_long(b"".join(carry), max_line), False
                skipping = True
            if skipping:
                carry, held = ([b"\r"], 1) if block.endswith(b"\r") else ([], 0)
            continue
        yield b"".join([*carry, block[:cut]]) if carry else block[:cut], skipping
        carry, held = [block[cut:]], len(block) - cut
        skipping = False
    if carry:
        yield b"".join(carry), skipping


def _lines(chunk: bytes, skipping: bool, max_line: int) -> Iterator[bytes | UnparsedRecord]:
    """Every line of `chunk` (a blank one as b"", as text mode strips it), the first
    dropped if `skipping` (the end of a line already reported)."""
    if skipping:  # from the end of that line on (its rest may start inside a character)
        ends = [at for at in (chunk.find(b"\n"), chunk.find(b"\r")) if at >= 0]
        chunk = chunk[min(ends) :] if ends else b""
    checked = utf8_text(chunk)  # else each line is checked: the bad ones are rejects
    lines = _split(chunk)
    for line in lines[1:] if skipping else lines:
        if len(line) > max_line:
            yield _over_long(line, max_line)
        elif not checked and not utf8_text(line):
            yield _not_utf8(line)
        elif line[:1] == b"{" or (line.strip() and line.decode().strip()):
            yield line
        else:
            yield b""


def _split(chunk: bytes) -> list[bytes]:
    """`chunk.splitlines()`, found with `find` (memchr) where no line ends in `\r`: both
    `splitlines` and `split` look at every byte in a loop, ~5-8 instructions a byte, which
    was a tenth of a diagnostic record's whole decoding."""
    if b"\r" in chunk:
        return chunk.splitlines()
    lines, at, find = [], 0, chunk.find
    while (end := find(b"\n", at)) >= 0:
        lines.append(chunk[at:end])
        at = end + 1
    if at < len(chunk):
        lines.append(chunk[at:])
    return lines


def _not_utf8(line: bytes) -> UnparsedRecord:
    reason = "not UTF-8 text"
    try:
        line.decode()
    except UnicodeDecodeError as exc:  # position: the byte's, from the line's start
        reason = f"not UTF-8 text ({exc})"
    return UnparsedRecord(line.decode(errors="replace"), reason)


def _over_long(start: bytes, max_line: int) -> UnparsedRecord:
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")  # not final: a
    shown = decoder.decode(start[: 4 * _SHOWN])[:_SHOWN]  # character cut off is left out
    reason = (
        f"a line longer than {max_line} bytes (the limit set by PROVLYTICS_MAX_LINE_BYTES); "
        "not line-delimited JSON?"
    )
    return UnparsedRecord(shown + "...", reason)
