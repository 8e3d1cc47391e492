"""Columns straight from raw JSON tokens (`msgspec.Raw`), without a Python object per value.

A typed decoder that declares every field as `msgspec.Raw` only finds where each value starts
and ends. These helpers turn lists of such tokens into Arrow columns with a few joins and
vectorised kernels: the bytes of all tokens are joined once, their bounds come from their
lengths, and checking, unquoting, nulls and UTF-8 validation run on whole columns. Values
that need Python (a string with escapes, an enumeration member) are decoded per distinct
token only. Every helper returns None, or raises `NotPlain`, where a token is not what the
caller's column takes: the page then goes to the general path, which names the record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from provlytics.origin import utf8_text

logger = logging.getLogger(__name__)

_QUOTE, _N, _BACKSLASH = ord('"'), ord("n"), ord("\\")
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
_INTS = msgspec.json.Decoder(list[Int64 | None])
_STRINGS = msgspec.json.Decoder(list[str])


class NotPlain(Exception):
    """A token the fast path does not take (the general path reads the page)."""


def decoded_tokens(
    decoder: msgspec.json.Decoder, data: bytes | str, shape: str, *, check_utf8: bool = True
) -> Any:
    """A page's text decoded by one of the typed decoders; None (logged at debug level) if
    it is not of that decoder's `shape`, or not UTF-8 text (a `str` with a lone surrogate;
    `bytes` are checked unless `check_utf8` is false, for a caller whose columns check them
    or whose source did: msgspec does not check the text of raw tokens)."""
    if isinstance(data, str):
        try:
            data = data.encode()
        except UnicodeEncodeError:  # a lone surrogate
            return None
    elif check_utf8 and not utf8_text(data):
        return None
    try:
        return decoder.decode(data)
    except msgspec.DecodeError as exc:  # not this shape: the general path reads it
        logger.debug("not a plain %s page (%s): using the general path", shape, exc)
        return None


def texts(raws: Sequence[msgspec.Raw], *, keep_empty_from: int) -> pa.Array:
    """JSON string tokens as a `string` column: null for `null`, and for `""` before position
    `keep_empty_from` (from there on `""` is kept: a cleared value is not a missing one).

    Raises `NotPlain` if a token is neither a string nor null, or is not UTF-8 text.
    """
    return text_columns(raws, [len(raws)], keep_empty_from=keep_empty_from)[0]


def text_columns(
    raws: Sequence[msgspec.Raw], sizes: Sequence[int], *, keep_empty_from: int
) -> list[pa.Array]:
    """`texts` of `raws`, cut into consecutive columns of `sizes` values (summing to all).

    The tokens are joined once (NUL between them: JSON text never holds one), their bounds
    found in one vectorised pass, their quotes cut off by Arrow and their text checked as
    UTF-8; only the few tokens holding an escape are decoded in Python, and only the columns
    holding one are copied to take them in.
    """
    n = len(raws)
    if not n:
        return [pa.array([], pa.string()) for _ in sizes]
    data = b"\0".join(raws) + b'\0"'  # each token followed by `NUL "` (as the next's start)
    if len(data) >= 2**31:
        raise NotPlain("a page of more than 2 GiB of text")
    text = np.frombuffer(data, np.uint8)
    seps = np.flatnonzero(text == 0)
    starts = np.empty(n, np.int64)
    starts[0] = 0
    starts[1:] = seps[:-1] + 1
    first = text[starts]  # a token is never empty
    null = first == _N  # the only JSON token starting with `n` is null
    if not np.all(null | (first == _QUOTE)):
        raise NotPlain("a value that is not a string")
    empty = seps - starts == 2
    empty[keep_empty_from:] = False
    offsets = np.empty(n + 1, np.int32)  # each token without its opening quote, and with
    offsets[:-1] = starts + 1  # `" NUL "` at its end, which the slice below cuts off
    offsets[-1] = len(data)
    quoted = pa.Array.from_buffers(
        pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    sliced = pc.binary_slice(quoted, 0, -3)
    validity = pa.py_buffer(np.packbits(~(null | empty), bitorder="little"))
    binary = pa.Array.from_buffers(pa.binary(), n, [validity, *sliced.buffers()[1:]])
    try:
        column = binary.cast(pa.string())
    except pa.ArrowInvalid:
        raise NotPlain("not UTF-8 text") from None
    bounds = np.zeros(len(sizes) + 1, np.int64)
    np.cumsum(sizes, out=bounds[1:])
    columns = [
        column.slice(start, size) for start, size in zip(bounds[:-1].tolist(), sizes, strict=True)
    ]
    if b"\\" in data:
        rows = np.unique(np.searchsorted(seps, np.flatnonzero(text == _BACKSLASH)))
        values = _decoded([raws[i] for i in rows.tolist()])
        at = np.searchsorted(rows, bounds)
        for i in np.flatnonzero(at[1:] > at[:-1]).tolist():
            picked = slice(int(at[i]), int(at[i + 1]))
            columns[i] = _replaced(columns[i], rows[picked] - bounds[i], values[picked])
    return columns


def _decoded(raws: list[msgspec.Raw]) -> pa.Array:
    """String tokens holding escapes, decoded."""
    try:
        return pa.array(_STRINGS.decode(b"[" + b",".join(raws) + b"]"), pa.string())
    except (msgspec.DecodeError, UnicodeEncodeError, pa.ArrowException):  # a lone surrogate
        raise NotPlain("a string the general path must read") from None


def _replaced(column: pa.Array, rows: np.ndarray, values: pa.Array) -> pa.Array:
    """`column` with the values at `rows` (ascending) replaced by `values`."""
    n = len(column)
    order = np.arange(n, dtype=np.int64)
    order[rows] = n + np.arange(len(rows))
    return pa.concat_arrays([column, values]).take(order)


def integers(raws: Sequence[msgspec.Raw]) -> pa.Array:
    """JSON integer tokens (or null) as an `int64` column; raises `NotPlain` on any other."""
    try:
        return pa.array(_INTS.decode(b"[" + b",".join(raws) + b"]"), pa.int64())
    except msgspec.DecodeError:
        raise NotPlain("not a whole number in 64 bits") from None


def mapped(column: pa.Array, member: Callable[[Any], str | None]) -> pa.Array:
    """Each distinct value of a column mapped once through `member` (which may raise)."""
    encoded = column.dictionary_encode()
    members = pa.array([member(v) for v in encoded.dictionary.to_pylist()], pa.string())
    return members.take(encoded.indices)


class Bags:
    """Raw JSON texts (objects kept as written, compacted if written with spaces) as a
    `string` column, with the joined bytes and offsets for searching them."""

    def __init__(self, raws: Sequence[msgspec.Raw], empty: frozenset[bytes]) -> None:
        """Null where a text is `null` or one of the two-byte texts in `empty`.

        Raises `NotPlain` on bad UTF-8.
        """
        data = b"".join(raws)
        if b"\n" in data or b'": ' in data:  # indented or `json.dumps`-ed: compact it
            raws = [msgspec.json.format(raw, indent=-1) for raw in raws]
            data = b"".join(raws)
        n = len(raws)
        lengths = np.fromiter(map(len, raws), np.int64, n)
        offsets = np.zeros(n + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        text = np.frombuffer(data, np.uint8)
        first = text[offsets[:-1]] if n else np.zeros(0, np.uint8)
        second = text[np.minimum(offsets[:-1] + 1, len(text) - 1)] if n else first
        nothing = (lengths == 4) & (first == _N)  # null
        for a, b in empty:
            nothing |= (lengths == 2) & (first == a) & (second == b)
        validity = pa.py_buffer(np.packbits(~nothing, bitorder="little"))
        buffers = [validity, pa.py_buffer(offsets), pa.py_buffer(data)]
        binary = pa.Array.from_buffers(pa.large_binary(), n, buffers)
        try:
            self.column: pa.Array = binary.cast(pa.string())
        except pa.ArrowInvalid:
            raise NotPlain("not UTF-8 text") from None
        self.raws, self.data, self.offsets, self.first = raws, data, offsets, first
        self.nothing = nothing

    def all_objects(self) -> bool:
        """Whether every text is an object (or nothing)."""
        return bool(np.all(self.nothing | (self.first == ord("{"))))

    def holding(self, *needles: bytes) -> np.ndarray:
        """The positions of the texts that hold any of `needles`, ascending."""
        data, found = self.data, []
        for needle in needles:
            at = data.find(needle)
            while at >= 0:
                found.append(at)
                at = data.find(needle, at + 1)
        at_ = np.array(found, np.int64)
        return np.unique(np.searchsorted(self.offsets, at_, side="right") - 1)


def joined_objects(parts: pa.Array, prefixes: list[str]) -> pa.Array:
    """Row by row, the non-null texts of `parts` (one part after the other, each as long as
    the result) joined into one JSON object, each behind its prefix (`"key":`); null where
    every part is null. Element-wise joins over whole columns: no copy of a part per row."""
    k = len(prefixes)
    n = len(parts) // k
    pieces = [  # `"key":value,` (null where the part is)
        pc.binary_join_element_wise(prefix, parts.slice(i * n, n), ",", "")
        for i, prefix in enumerate(prefixes)
    ]
    joined = pc.binary_join_element_wise(*pieces, "", null_handling="replace")
    trimmed = pc.binary_slice(joined.view(pa.binary()), 0, -1)  # the last comma
    whole = pc.binary_join_element_wise(b"{", trimmed, b"}", b"")
    given = parts.is_valid().to_numpy(zero_copy_only=False).reshape(k, n).any(axis=0)
    validity = pa.py_buffer(np.packbits(given, bitorder="little"))
    buffers = [validity, *whole.buffers()[1:]]
    return pa.Array.from_buffers(pa.string(), n, buffers, offset=whole.offset)
