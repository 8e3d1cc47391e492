"""A spool folder of raw Graph pages, a checkpoint per run, and the incremental watermark.

```
spool/
  state.json              {"watermarks": {"<$filter without times>": "2026-11-16T10:00:00Z"}}
  checkpoint.json         the current run: its parameters, the plan of the windows still to
                          come (`sources/windows.py`), and per time window planned so far the
                          bounds, the next link to request (or done), pages and records
  window-000/page-00001.json   each page as received: {"url", "value", "@odata.nextLink"}
```

Every file is written atomically (a temporary file, then `os.replace`). A page is written before
the checkpoint that counts it, so a crash can leave a page file the checkpoint does not count
(it is overwritten on resume), never a counted page that is missing. Nothing here ever holds an
access token: nextLinks carry a `$skiptoken`, which is a paging cursor, not a credential.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import orjson

from provlytics.errors import ConfigError, InputError
from provlytics.owner_only import private_dirs

logger = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.json"
STATE = "state.json"
SPOOL_VERSION = 2  # 2: windows planned as the fetch goes ("plan"); 1: every window up front


class SpooledPage(msgspec.Struct, frozen=True):
    """A spooled page: the URL requested, its nextLink, and its `value` array as JSON text."""

    value: msgspec.Raw
    url: str | None = None
    next_link: str | None = msgspec.field(default=None, name="@odata.nextLink")


@dataclass
class WindowState:
    """One time window of a run: its bounds, `$filter`, and how far paging got."""

    index: int
    since: str | None
    until: str | None
    filter: str | None
    next_link: str | None = None
    done: bool = False
    pages: int = 0
    records: int = 0
    restarts: int = 0

    @property
    def folder(self) -> str:
        return f"window-{self.index:03d}"


@dataclass
class WindowPlan:
    """What is left to plan of a fetch: the next window's start and length (see
    `provlytics.sources.windows`).

    Attributes:
        cursor: lower bound of the next window (ISO text); None once every window is planned.
        end: the fetch's end (ISO text); None for "up to now", with the last window open.
        span: seconds of the next window, before the adjustment for the last window's cost.
        min_span: seconds of the shortest window (`window=`).
        criteria: the `$filter` clauses besides the time bounds, or None.
    """

    cursor: str | None
    end: str | None
    span: float
    min_span: float
    criteria: str | None = None


@dataclass
class Checkpoint:
    """The state of one run: its parameters, its windows so far and the plan of the rest.

    `plan` is None when every window was planned up front, as in version 1 checkpoints
    (which are read and resumed as they are).
    """

    params: dict[str, Any]
    windows: list[WindowState] = field(default_factory=list)
    version: int = SPOOL_VERSION
    plan: WindowPlan | None = None

    @property
    def finished(self) -> bool:
        planned = self.plan is None or self.plan.cursor is None
        return planned and all(w.done for w in self.windows)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Checkpoint:
        """Read a checkpoint of version 1 or 2.

        Raises:
            KeyError, TypeError: not a checkpoint; ValueError: a version this code cannot read.
        """
        version = data.get("version", 1)
        if version not in (1, SPOOL_VERSION):
            raise ValueError(f"version {version!r} (this provlytics reads 1 and {SPOOL_VERSION})")
        windows = [WindowState(**w) for w in data.get("windows", [])]
        plan = data.get("plan")
        if plan is not None and not isinstance(plan, dict):
            raise TypeError(f"plan must be an object, got {type(plan).__name__}")
        return cls(data["params"], windows, version, WindowPlan(**plan) if plan else None)


class Spool:
    """A folder of raw pages with a checkpoint, so that a fetch can resume where it stopped.

    Example:
        >>> spool = Spool("spool/")
        >>> run = spool.start(params, windows, resume=True)   # the saved run if it matches
        >>> spool.write_page(run.windows[0], 1, {"value": [...], "@odata.nextLink": None})
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.checkpoint: Checkpoint | None = None

    def __repr__(self) -> str:
        return f"Spool({str(self.root)!r})"

    def start(
        self,
        params: dict[str, Any],
        windows: list[WindowState],
        *,
        resume: bool = True,
        plan: WindowPlan | None = None,
    ) -> Checkpoint:
        """The run to work on: the saved unfinished one when `resume`, else a fresh one.

        A finished run is replaced by a fresh one; an unfinished one is discarded without
        `resume`.

        Raises:
            ConfigError: an unfinished run with other parameters is saved and `resume` is set.
        """
        saved = self.read_checkpoint() if resume else None
        if saved is not None and not saved.finished:
            _check_same(saved.params, params, self.root)
            logger.info("resuming the fetch saved in %s", self.root)
            self.checkpoint = saved
            return saved
        self._clear_windows()
        self.checkpoint = Checkpoint(dict(params), windows, plan=plan)
        self.save()
        return self.checkpoint

    def read_checkpoint(self) -> Checkpoint | None:
        """The saved checkpoint, or None when there is none."""
        data = _read_json(self.root / CHECKPOINT)
        if data is None:
            return None
        try:
            return Checkpoint.from_dict(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                str(self.root / CHECKPOINT),
                f"not a spool checkpoint this provlytics can read: {exc}; "
                "discard it with resume=False (--no-resume) or use another spool folder",
            ) from exc

    def save(self) -> None:
        """Write the current checkpoint atomically."""
        if self.checkpoint is None:
            raise ValueError("no run started; call start() first")
        write_json_atomic(self.root / CHECKPOINT, self.checkpoint.to_dict())

    def page_path(self, window: WindowState, number: int) -> Path:
        """Where page `number` (1-based) of a window is spooled."""
        return self.root / window.folder / f"page-{number:05d}.json"

    def write_page(self, window: WindowState, number: int, body: dict[str, Any]) -> Path:
        """Spool one raw page atomically (before it is counted in the checkpoint)."""
        path = self.page_path(window, number)
        write_json_atomic(path, body)
        return path

    def write_page_text(self, window: WindowState, number: int, page: SpooledPage) -> Path:
        """Spool one page whose records are JSON text, as is (no parse, no re-encoding)."""
        path = self.page_path(window, number)
        head = orjson.dumps({"url": page.url, "@odata.nextLink": page.next_link})
        write_bytes_atomic(path, head[:-1] + b',"value":' + bytes(page.value) + b"}")
        return path

    def read_page_text(self, window: WindowState, number: int) -> SpooledPage:
        """A spooled page, its records left as the JSON text of their array."""
        path = self.page_path(window, number)
        try:
            return msgspec.json.decode(path.read_bytes(), type=SpooledPage)
        except (OSError, msgspec.DecodeError) as exc:
            raise InputError(str(path), f"spooled page is missing or unreadable ({exc})") from exc

    def read_page(self, window: WindowState, number: int) -> dict[str, Any]:
        """A spooled page, as written."""
        path = self.page_path(window, number)
        body = _read_json(path)
        if not isinstance(body, dict):
            raise InputError(str(path), "spooled page is missing or not a JSON object")
        return body

    def discard_window(self, window: WindowState) -> None:
        """Forget a window's pages and progress (to restart it from its first link)."""
        shutil.rmtree(self.root / window.folder, ignore_errors=True)
        window.next_link, window.done, window.pages, window.records = None, False, 0, 0

    def read_watermark(self, key: str = "") -> str | None:
        """The newest activityDateTime seen by incremental runs with filter `key`, or None."""
        state = _read_json(self.root / STATE) or {}
        return state.get("watermarks", {}).get(key)

    def write_watermark(self, watermark: str, key: str = "") -> None:
        """Save the incremental watermark of the runs with filter `key` (ISO text)."""
        state = _read_json(self.root / STATE) or {}
        state.setdefault("watermarks", {})[key] = watermark
        write_json_atomic(self.root / STATE, state)

    def _clear_windows(self) -> None:
        if not self.root.exists():
            return
        for folder in self.root.glob("window-*"):
            shutil.rmtree(folder, ignore_errors=True)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temporary file beside `path`, then move it into place (folders made
    0700, the file 0600: pages hold names and UPNs)."""
    write_bytes_atomic(path, json.dumps(data, ensure_ascii=False).encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write bytes as `write_json_atomic` writes JSON: atomically, owner-only."""
    private_dirs(path.parent)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as file:
            return json.load(file)
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise InputError(str(path), f"not valid JSON: {exc}") from exc


def _check_same(saved: dict[str, Any], wanted: dict[str, Any], root: Path) -> None:
    changed = sorted(k for k in saved.keys() | wanted.keys() if saved.get(k) != wanted.get(k))
    if changed:
        details = "; ".join(f"{k}: saved {saved.get(k)!r}, now {wanted.get(k)!r}" for k in changed)
        raise ConfigError(
            f"the spool {root} holds an unfinished fetch with other parameters ({details}); "
            "re-run with the same parameters to resume it, or discard it with resume=False "
            "(--no-resume) or another spool folder (spool=, --spool)"
        )
