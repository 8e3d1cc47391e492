"""msal's token cache on disk: a file only its owner can read, checked before msal sees it.

A cache file holds refresh tokens, so it is written with mode 0600 (atomically, never readable
by others even for an instant). On reading, a file readable or writable by group or others is
tightened to 0600 with a warning (or refused when that fails), and a file that is unreadable,
not JSON, or JSON of another shape than msal's (`{"AccessToken": {key: {...}}, ...}`) raises
`ConfigError` naming the file, instead of an AttributeError from deep inside msal later on.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path
from typing import Any

import msal

from provlytics.errors import ConfigError
from provlytics.json_names import json_name

logger = logging.getLogger(__name__)

PRIVATE_MODE = 0o600
HOW_TO_FIX = (
    "delete it (the next sign-in writes a new one) or point PROVLYTICS_TOKEN_CACHE elsewhere"
)


class TokenCacheFile:
    """msal's serializable token cache, persisted to a file readable by its owner only.

    Raises:
        ConfigError: the file cannot be read, is not an msal cache, or is open to others and
            cannot be tightened.
    """

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = Path(path).expanduser() if path else None
        self.cache = msal.SerializableTokenCache()
        if self.path is not None and self.path.exists():
            self.cache.deserialize(read_cache_text(self.path))

    def save(self) -> bool:
        """Write the cache if it changed since it was read or written; return whether it did."""
        if self.path is None or not self.cache.has_state_changed:
            return False
        write_private(self.path, self.cache.serialize())
        logger.debug("token cache written to %s", self.path)
        return True


def read_cache_text(path: Path) -> str:
    """The text of a cache file, once its permissions and shape are checked.

    Raises:
        ConfigError: unreadable, not JSON, not msal's shape, or too open and not tightenable.
    """
    try:
        _make_private(path)
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if text.strip() else {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"unreadable token cache {path}: {exc}; {HOW_TO_FIX}") from exc
    problem = _shape_problem(data)
    if problem:
        raise ConfigError(f"token cache {path} is not an msal token cache: {problem}; {HOW_TO_FIX}")
    return text


def _make_private(path: Path) -> None:
    """Tighten a cache file that group or others may read or write to 0600, with a warning."""
    if os.name != "posix":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if not stat.S_ISREG(path.stat().st_mode) or not mode & 0o077:
        return
    os.chmod(path, PRIVATE_MODE)
    logger.warning(
        "token cache %s was readable or writable by others (mode %o); tightened to 0600",
        path,
        mode,
    )


def _shape_problem(data: Any) -> str | None:
    """Why `data` is not msal's cache layout (kinds mapping keys to entry objects), or None."""
    if not isinstance(data, dict):
        return f"expected a JSON object, got {json_name(data)}"
    for kind, entries in data.items():
        if not isinstance(entries, dict):
            return f"{kind!r} should map keys to entries, got {json_name(entries)}"
        wrong = [key for key, entry in entries.items() if not isinstance(entry, dict)]
        if wrong:
            return f"{kind!r} entry {wrong[0]!r} is not an object"
    return None


def write_private(path: Path, text: str) -> None:
    """Write `text` atomically to a file created with mode 0600 (never readable by others)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, PRIVATE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
