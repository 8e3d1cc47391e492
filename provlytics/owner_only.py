"""Folders and files only their owner can read: datasets and spools hold names and UPNs.

Modes are set explicitly (not through the process umask, which other threads share).
"""

from __future__ import annotations

import os
from pathlib import Path

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def private_dirs(folder: Path) -> Path:
    """Create `folder` and any missing parents with mode 0700; existing ones are left as
    they are (they are the user's). Returns `folder`."""
    missing: list[Path] = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        path.mkdir(mode=DIRECTORY_MODE, exist_ok=True)
        os.chmod(path, DIRECTORY_MODE)  # mkdir's mode is masked by the umask; be explicit
    return folder


def private_file(path: Path | str) -> None:
    """Make a file just written readable and writable by its owner only."""
    os.chmod(path, FILE_MODE)
