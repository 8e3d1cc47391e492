"""A bench's baseline: loads timed by a child process running a given commit's provlytics.

    with Loader("68b68e9") as old, Loader(None) as new:   # None: this working tree
        old.time(folder), new.time(folder)                # seconds, interleaved by the caller

The commit's `provlytics` folder is extracted with `git archive` into a temporary folder,
the child's working folder (first on its `sys.path`, before this tree's editable install;
this tree's `bench` package comes from its `PYTHONPATH`), so two versions of the library
run in one bench, each in a process of its own that stays up between rounds: the caller
interleaves rounds of the old and the new code, and imports stay outside the clock. What a
child times `bench.decode`'s `_loaded` (every file of a folder read by the file source and
each page normalized) or `_read` (the file source alone).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

_ROOT = Path(__file__).resolve().parent.parent


def extract(commit: str, folder: Path) -> None:
    """`provlytics/` of `commit` into `folder` (`git archive`), the repository untouched."""
    archive = subprocess.run(
        ["git", "-C", str(_ROOT), "archive", commit, "provlytics"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)


class Loader:
    """A child process that times loads of folders with the `provlytics` of `commit` (None:
    this working tree's). Raises `SystemExit` if the child does not run that code."""

    def __init__(self, commit: str | None) -> None:
        self.commit = commit
        self._folder = Path(tempfile.mkdtemp(prefix="provlytics-baseline-"))
        self._child: subprocess.Popen[str] | None = None

    @property
    def label(self) -> str:
        return self.commit or "this tree"

    def __enter__(self) -> Loader:
        path = [str(_ROOT)]
        if self.commit is not None:
            extract(self.commit, self._folder)
            path.insert(0, str(self._folder))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
        self._child = subprocess.Popen(
            [sys.executable, "-m", "bench.baseline"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=path[0],  # `-m` puts the working folder first on sys.path
        )
        package = Path(self._ask("")).resolve()
        expected = Path(path[0]).resolve() / "provlytics"
        if package != expected:
            raise SystemExit(f"the baseline runs {package}, not {expected}")
        return self

    def time(self, folder: Path, *, read_only: bool = False) -> float:
        """Seconds the child took to load every file of `folder` (its file list is made
        before the clock, once per folder); `read_only`: to read their pages only."""
        return float(self._ask(f"{folder}\t{'read' if read_only else 'load'}"))

    def time_call(self, path: Path, call: str) -> float:
        """Seconds the child took for `call` on `path` (a folder or an archive), all of it
        inside the clock: "file_tasks" (the list of files to read) or "pv.load workers=N"
        (a whole load, no progress bar)."""
        return float(self._ask(f"{path}\t{call}"))

    def _ask(self, line: str) -> str:
        assert self._child is not None and self._child.stdin and self._child.stdout
        self._child.stdin.write(line + "\n")
        self._child.stdin.flush()
        answer = self._child.stdout.readline()
        if not answer:
            raise SystemExit(f"the baseline process of {self.label} ended")
        return answer.strip()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._child is not None:
            if self._child.stdin:
                self._child.stdin.close()
            self._child.wait(timeout=60)
        shutil.rmtree(self._folder, ignore_errors=True)


def _serve() -> None:
    """The child: answers an empty line with the path of the `provlytics` it imports, a
    line `<folder>\t<load|read>` with the seconds its load (or its reading) took, and
    `<path>\t<file_tasks|pv.load workers=N>` with the seconds that call took."""
    import provlytics
    from bench.decode import _loaded, _read
    from provlytics.sources.files import file_tasks

    tasks = {}
    for line in sys.stdin:
        if not line.strip():
            sys.stdout.write(f"{Path(provlytics.__file__).parent}\n")
        else:
            folder, mode = line.rstrip("\n").split("\t")
            if mode in ("read", "load"):
                todo = tasks.setdefault(folder, file_tasks(folder))
            start = time.perf_counter()
            if mode == "file_tasks":
                file_tasks(folder)
            elif mode.startswith("pv.load workers="):
                provlytics.load(folder, workers=int(mode.split("=")[1]), progress=False)
            else:
                (_read if mode == "read" else _loaded)(todo)
            sys.stdout.write(f"{time.perf_counter() - start!r}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve()
