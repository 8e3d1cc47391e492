"""Opening saved files: gzip (by magic bytes); UTF-8 with or without a byte-order mark, or
UTF-16 with one (what Windows PowerShell 5.1's `>` and `Out-File` write by default)."""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path
from typing import IO

from provlytics.errors import InputError

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def open_text(path: Path) -> IO[str]:
    """Open a file as text (UTF-8, or UTF-16 with a byte-order mark), decompressing gzip."""
    with path.open("rb") as probe:
        gzipped = probe.read(2) == _GZIP_MAGIC
    if gzipped:
        with gzip.open(path, "rb") as probe:
            head = probe.read(2)
    else:
        with path.open("rb") as probe:
            head = probe.read(2)
    encoding = "utf-16" if head in _UTF16_BOMS else "utf-8-sig"
    if gzipped:
        return gzip.open(path, "rt", encoding=encoding, newline="")
    return path.open("r", encoding=encoding, newline="")


def read_bytes(path: Path) -> bytes:
    """A whole file's bytes as UTF-8, gunzipped and without a byte-order mark."""
    data = path.read_bytes()
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(str(path), f"not a readable gzip file ({exc})") from exc
    if data[:2] in _UTF16_BOMS:
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeError as exc:
            raise InputError(str(path), f"not readable UTF-16 text ({exc})") from exc
    data = data.removeprefix(_BOM)
    if not data.strip():
        raise InputError(str(path), "the file is empty")
    return data


def data_suffix(path: Path) -> str:
    """The data suffix (`.json`, `.csv`, ...), looking through a trailing `.gz`."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""
