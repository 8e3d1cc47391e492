"""The normalizer: any page, log or job, to the canonical tables (`normalize`).

`normalize` is imported on first use, so that importing a submodule (the alias table, the
dialects) does not import pyarrow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from provlytics.normalize.pages import normalize

__all__ = ["normalize"]


def __getattr__(name: str) -> Any:
    if name == "normalize":
        from provlytics.normalize.pages import normalize

        return normalize
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
