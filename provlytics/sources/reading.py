"""Opening saved files: gzip (by magic bytes), UTF-8 with or without a byte-order mark."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import IO

from provlytics.errors import InputError

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"


def open_text(path: Path) -> IO[str]:
    """Open a file as UTF-8 text, decompressing gzip."""
    with path.open("rb") as probe:
        gzipped = probe.read(2) == _GZIP_MAGIC
    if gzipped:
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open("r", encoding="utf-8-sig", newline="")


def read_bytes(path: Path) -> bytes:
    """A whole file's bytes, gunzipped and without a byte-order mark."""
    data = path.read_bytes()
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(str(path), f"not a readable gzip file ({exc})") from exc
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
