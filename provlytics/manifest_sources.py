"""How `manifest.json` names its sources: relative to their common folder (never absolute
paths, which show the user's folder layout), as text that can always be encoded, and one
file as one entry across the loads into a dataset.

Each load names its files relative to its own common folder, so one file can take two names
(`graph-v1/x.json` in a load of `samples/`, `x.json` in a load of that file alone) and two
files one (`x.json` of `monday/` and of `tuesday/`, each loaded alone). The manifest
therefore keeps, beside `sources`, `source_ids`: each file's name -> a hash of its resolved
absolute path (which does not show the path). A load lists a file already listed under the
name it has there, and a file whose name another file took under a longer one (more of its
folders). A name a manifest lists without an id (written before ids) is the file whose path
ends with it; URLs and other names that are no file here stand for themselves.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ID_CHARACTERS = 16  # hex characters of a source id: 64 bits of the path's SHA-256


@dataclass
class Listed:
    """What a dataset's manifest lists: its `sources` and their `source_ids` (name -> id)."""

    names: list[str] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)


def listed_sources(root: str | Path) -> Listed:
    """The sources the manifest in `root` lists; none when it has no (readable) manifest."""
    try:
        manifest = json.loads((Path(root) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Listed()
    if not isinstance(manifest, dict):
        return Listed()
    names = [str(n) for n in manifest.get("sources") or []]
    ids = manifest.get("source_ids") or {}
    return Listed(names, {str(k): str(v) for k, v in ids.items()} if isinstance(ids, dict) else {})


def named_sources(sources: list[str] | Any, listed: Listed | None = None) -> Listed:
    """The sources of one load as the manifest lists them beside those `listed` already:
    names (in order, `relative_sources`, printable) and the ids of the files among them.

    A file `listed` under an id keeps that name; so does a file whose path ends with a name
    `listed` without an id (manifests written before ids: `graph-v1/x.json` of a load of
    `samples/` is `samples/graph-v1/x.json` loaded alone); a file whose name `listed` (or
    this load) gives another file is named with more of its folders (`tuesday/x.json`).
    """
    sources = [str(s) for s in sources]
    listed = listed or Listed()
    taken = dict(listed.ids)  # name -> id, of every name given so far
    by_id = {source_id: name for name, source_id in taken.items()}
    plain = set(listed.names) - set(taken)  # listed without an id
    out = Listed()
    for source, name in zip(sources, relative_sources(sources), strict=True):
        source_id = _source_id(source)
        if source_id is None:
            out.names.append(printable(name))
            continue
        name = (
            by_id.get(source_id)
            or _plain_match(source, plain, taken)
            or _free_name(source, printable(name), taken, plain)
        )
        taken[name], by_id[source_id] = source_id, name
        out.names.append(name)
        out.ids[name] = source_id
    return out


def merged_sources(listed: Listed, load: Listed) -> Listed:
    """The manifest's sources after a load: those listed, then the load's new names."""
    return Listed(list(dict.fromkeys([*listed.names, *load.names])), {**listed.ids, **load.ids})


def _source_id(source: str) -> str | None:
    """A file's id: the hash of its resolved absolute path (and archive member); None for
    what is no file here (a URL, a name read from a manifest)."""
    if "://" in source:
        return None
    path = _file_part(source)
    if not os.path.isfile(path):
        return None
    resolved = os.path.normcase(os.path.realpath(path)) + source[len(path) :]
    digest = hashlib.sha256(resolved.encode("utf-8", "surrogateescape")).hexdigest()
    return digest[:ID_CHARACTERS]


def _plain_match(source: str, plain: set[str], taken: dict[str, str]) -> str | None:
    """The longest name listed without an id (and not yet given to a file) that ends this
    file's path (`graph-v1/x.json` of `.../samples/graph-v1/x.json`): the same file, named
    by an earlier load."""
    ends = _path_ends(source) if plain else []
    found = [name for name in ends if name in plain and name not in taken]
    return found[-1] if found else None


def _free_name(source: str, name: str, taken: dict[str, str], plain: set[str]) -> str:
    """`name`, or when another file has it, the file's path with as many more of its folders
    as make it free (a name listed without an id is taken as the same file's)."""
    if name not in taken:
        return name
    for longer in _path_ends(source):
        if len(longer) > len(name) and longer not in taken and longer not in plain:
            return longer
    number = 2
    while f"{name} ({number})" in taken:
        number += 1
    return f"{name} ({number})"


def _path_ends(source: str) -> list[str]:
    """The file's name, then with one more folder each (`x.json`, `graph-v1/x.json`, ...),
    up to its whole path without the drive or root; an archive member's after its archive."""
    path = _file_part(source)
    parts = Path(os.path.abspath(path)).parts[1:]
    member = source[len(path) :]
    return [printable(Path(*parts[-n:]).as_posix() + member) for n in range(1, len(parts) + 1)]


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
