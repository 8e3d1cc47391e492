"""How `manifest.json` names its sources: relative to their common folder (never absolute
paths, which show the user's folder layout), as text that can always be encoded."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def relative_sources(sources: list[str] | Any) -> list[str]:
    """Sources as the manifest records them: files relative to their common folder
    (`exports/a.json`, `archive.zip!member`), with `/` separators; URLs and other names as
    they are."""
    sources = [str(s) for s in sources]
    files = {s: _file_part(s) for s in sources if "://" not in s}
    if not files:
        return sources
    absolute = {s: os.path.abspath(f) for s, f in files.items()}
    try:
        root = os.path.commonpath([os.path.dirname(a) for a in absolute.values()])
    except ValueError:  # Windows: files on different drives have no common folder
        return [Path(files[s]).name + s[len(files[s]) :] if s in files else s for s in sources]
    out = []
    for source in sources:
        if source not in files:
            out.append(source)
            continue
        relative = Path(os.path.relpath(absolute[source], root)).as_posix()
        out.append(relative + source[len(files[source]) :])
    return out


def _file_part(source: str) -> str:
    """`a.zip` of `a.zip!member.json`; the source itself otherwise."""
    head, bang, _member = source.partition("!")
    return head if bang and head.lower().endswith(".zip") else source


def printable(value: Any) -> str:
    """Text that can always be encoded: lone surrogates (undecodable file-name bytes) shown
    as escapes."""
    text = str(value)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogateescape") if _escapable(text) else None
        if raw is not None:
            return raw.decode("utf-8", "backslashreplace")
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _escapable(text: str) -> bool:
    return all(not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in text)
