"""Progress bars (tqdm.auto: a widget in Jupyter, text in a terminal)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm.auto import tqdm


def progress_bar(
    desc: str, *, unit: str = "rec", total: int | None = None, disable: bool | None = None
) -> tqdm:
    """A progress bar; `disable=None` hides it when output is not a terminal or notebook."""
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=True, disable=disable, leave=False)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector during a load.

    Parsed JSON holds no reference cycles, yet the collector keeps rescanning the growing
    containers: pausing it makes large loads markedly faster (see bench/).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
