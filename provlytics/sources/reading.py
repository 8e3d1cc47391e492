"""Opening saved files: plain, gzip (by magic bytes) or a member of a `.zip` archive, as UTF-8
with or without a byte-order mark, or UTF-16 with one (what Windows PowerShell 5.1's `>` and
`Out-File` write by default), decompressed in bounded memory.

Limits (read from the environment when the list of inputs is made, so that worker processes
use the caller's): `PROVLYTICS_MAX_EXPANDED_BYTES` caps what one file may expand to (default
2 GiB), `PROVLYTICS_MAX_LINE_BYTES` caps one line of NDJSON (default 256 MiB).
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from provlytics.errors import ConfigError, InputError
from provlytics.sources.archives import archive_at, member_info, opened

GZIP_MAGIC = b"\x1f\x8b"
# what reading a damaged file raises: a truncated gzip stream (EOFError), a bad header or CRC
# (OSError), corrupt deflate data in a gzip file or a zip member (zlib.error, no OSError)
STREAM_ERRORS = (OSError, EOFError, zlib.error, zipfile.BadZipFile)
BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CHUNK = 2**20
_DEFLATE_RATIO = 1032  # deflate's greatest expansion
EXPANDED_VARIABLE = "PROVLYTICS_MAX_EXPANDED_BYTES"
LINE_VARIABLE = "PROVLYTICS_MAX_LINE_BYTES"
DEFAULT_MAX_EXPANDED = 2 * 2**30
DEFAULT_MAX_LINE = 256 * 2**20


def display_path(path: str | Path) -> str:
    """A path as text that can always be printed and encoded: bytes of a file name that are
    not UTF-8 (held as surrogates) are shown as `\\xNN` escapes."""
    raw = os.fsencode(path)
    return raw.decode("utf-8", errors="backslashreplace")


def _limit(variable: str, default: int) -> int:
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{variable} must be a number of bytes, got {text!r}") from None
    return value if value > 0 else default


@dataclass(frozen=True)
class InputFile:
    """A file to read: a path, or a member of the `.zip` archive at `path`.

    `name` is how messages and the manifest show it (`archive.zip!member` for a member).
    """

    path: Path
    member: str | None = None
    max_expanded: int = DEFAULT_MAX_EXPANDED
    max_line: int = DEFAULT_MAX_LINE
    stored_size: int | None = None  # a member's compressed size, from the archive's directory

    @classmethod
    def at(cls, path: Path, member: str | None = None, stored_size: int | None = None) -> InputFile:
        """An input with the limits now set in the environment."""
        return cls(
            path,
            member,
            _limit(EXPANDED_VARIABLE, DEFAULT_MAX_EXPANDED),
            _limit(LINE_VARIABLE, DEFAULT_MAX_LINE),
            stored_size,
        )

    @property
    def name(self) -> str:
        shown = display_path(self.path)
        return shown if self.member is None else f"{shown}!{self.member}"

    @property
    def file_name(self) -> str:
        """The last part of the name (of the member, for a member)."""
        return Path(self.member).name if self.member is not None else display_path(self.path.name)

    @property
    def size(self) -> int:
        """Bytes as stored (compressed size of a member)."""
        if self.member is None:
            return self.path.stat().st_size
        if self.stored_size is not None:
            return self.stored_size
        return member_info(self.path, self.member).compress_size

    @property
    def modified(self) -> datetime:
        """When the file (or the member) was last written, UTC."""
        if self.member is None:
            return datetime.fromtimestamp(self.path.stat().st_mtime, UTC)
        return datetime(*member_info(self.path, self.member).date_time, tzinfo=UTC)

    def __str__(self) -> str:
        return self.name


def as_input(file: InputFile | Path) -> InputFile:
    return file if isinstance(file, InputFile) else InputFile.at(Path(file))


class _Bounded(io.RawIOBase):
    """A decompressing stream that raises `InputError` once it gave more than `limit` bytes.

    `size` is how many bytes the stream is expected to give (a plain file's size, a zip
    member's declared size), or None: `readall` asks for that many in one read (then
    checks for more), so a whole page costs a read or two, not one per 8 KiB.
    """

    def __init__(
        self,
        stream: IO[bytes],
        limit: int,
        name: str,
        owned: list[IO],
        kind: str,
        size: int | None = None,
    ) -> None:
        self._stream, self._limit, self._name, self._owned = stream, limit, name, owned
        self._kind, self._size = kind, size
        self._given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._read(min(len(buffer), _CHUNK))
        buffer[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        """The rest of the stream, bounded like `readinto`: what is left of the expected
        size in one read, then reads of 2, 4, 8... MiB until the end (each capped at one
        byte past the limit, so an overlong stream still fails); the bytes are copied
        once more only when the stream gave more than expected."""
        parts: list[bytes] = []
        want = _CHUNK if self._size is None else max(self._size - self._given, 1)
        while data := self._read(min(want, self._limit - self._given + 1)):
            parts.append(data)
            want = _CHUNK << len(parts)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _read(self, size: int) -> bytes:
        """Up to `size` bytes; `InputError` for a corrupt stream or past the limit."""
        try:
            data = self._stream.read(size)
        except STREAM_ERRORS as exc:
            what = f"not a readable {self._kind}, truncated or corrupt ({exc})"
            raise InputError(self._name, what) from exc
        self._given += len(data)
        if self._given > self._limit:
            raise InputError(
                self._name,
                f"expands past {self._limit} bytes (the limit set by {EXPANDED_VARIABLE}); "
                "raise it if this file is genuine",
            )
        return data

    def close(self) -> None:
        for stream in reversed(self._owned):
            stream.close()
        super().close()


def open_binary(file: InputFile | Path) -> IO[bytes]:
    """The decompressed bytes of a file, gzip and zip members included, in bounded memory."""
    file = as_input(file)
    owned: list[IO] = []
    try:
        if file.member is None:
            raw: IO[bytes] = file.path.open("rb")
            owned.append(raw)
            size: int | None = os.fstat(raw.fileno()).st_size
        else:
            archive, own = opened(file.path)  # within a reading pass, opened once
            if own:
                owned.append(archive)
            raw = archive.open(file.member)  # by name: its errors name the member so
            owned.append(raw)
            size = archive.getinfo(file.member).file_size  # as the archive declares it
        stream = io.BufferedReader(raw) if not hasattr(raw, "peek") else raw
        kind = "file" if file.member is None else "zip archive member"
        if stream.peek(2)[:2] == GZIP_MAGIC:
            kind, size = "gzip file", None
            stream = gzip.GzipFile(fileobj=stream, mode="rb")
            owned.append(stream)
    except (OSError, zipfile.BadZipFile, KeyError, RuntimeError, NotImplementedError) as exc:
        for handle in reversed(owned):
            handle.close()
        hint = ""
        if isinstance(exc, RuntimeError | NotImplementedError):  # encrypted; Deflate64
            hint = "; extract it and load the extracted files"
        raise InputError(file.name, f"not a readable file ({exc}){hint}") from exc
    bounded = _Bounded(stream, file.max_expanded, file.name, owned, kind, size)
    return io.BufferedReader(bounded, _CHUNK)


def open_text(file: InputFile | Path) -> IO[str]:
    """Open a file as text (UTF-8, or UTF-16 with a byte-order mark), decompressing gzip."""
    stream = open_binary(file)
    encoding = "utf-16" if stream.peek(2)[:2] in UTF16_BOMS else "utf-8-sig"
    return io.TextIOWrapper(stream, encoding=encoding, newline="")


def read_bytes(file: InputFile | Path) -> bytes:
    """A whole file's bytes, decompressed and without a byte-order mark.

    Raises:
        InputError: unreadable, empty, expanding past the limit, or too large for memory.
    """
    file = as_input(file)
    if _may_expand_past_limit(file):
        with open_binary(file) as stream:  # count first, holding nothing: a bomb stops here
            while stream.read(_CHUNK):
                pass
    try:
        with open_binary(file) as stream:
            data = stream.read()
    except MemoryError:
        raise InputError(file.name, "too large to read into memory") from None
    if data[:2] in UTF16_BOMS:
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeError as exc:
            raise InputError(file.name, f"not readable UTF-16 text ({exc})") from exc
    data = data.removeprefix(BOM)
    if not data or data.isspace():  # (`strip` would copy the file)
        raise InputError(file.name, "the file is empty")
    return data


def _may_expand_past_limit(file: InputFile) -> bool:
    """Whether a file could expand past its limit: a gzip file, or a stored or deflated zip
    member, whose compressed size times deflate's greatest ratio (1032:1) passes it; a
    deflated member holding a gzip file (the ratios multiply); a member compressed another
    way (zip allows methods of greater ratios)."""
    past = file.size * _DEFLATE_RATIO > file.max_expanded
    if file.member is None:
        with file.path.open("rb") as probe:
            return past and probe.read(2) == GZIP_MAGIC
    method = member_info(file.path, file.member).compress_type
    if method == zipfile.ZIP_STORED or past:
        return past
    if method != zipfile.ZIP_DEFLATED:
        return True
    try:
        with archive_at(file.path) as archive, archive.open(file.member) as probe:
            return probe.read(2) == GZIP_MAGIC
    except (KeyError, RuntimeError, NotImplementedError, *STREAM_ERRORS):
        return True  # reading it says what is wrong


def data_suffix(path: Path | str | InputFile) -> str:
    """The data suffix (`.json`, `.csv`, ...), looking through a trailing `.gz`."""
    if isinstance(path, InputFile):
        path = path.member if path.member is not None else path.path
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""
