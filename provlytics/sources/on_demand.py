"""provisionOnDemand responses as pages: a dict, its JSON text, or a saved file.

A response is one record whose `key` (the verdict) and `value` (the event) are JSON strings;
what they mean is the normalizer's business (`provlytics.pipeline.on_demand` gives the
verdict and the tables).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from provlytics.errors import InputError
from provlytics.origin import Container, Origin, Page, Place
from provlytics.sources.reading import read_bytes


def on_demand_page(response: dict[str, Any] | str | Path, origin: Origin | None = None) -> Page:
    """The page of one provisionOnDemand response (`Container.ON_DEMAND_RESPONSE`).

    Args:
        response: the response as a dict, its JSON text, or the path of a saved file.
        origin: where a dict or text came from (default: "on-demand response[ text]").

    Raises:
        InputError: not JSON, no such file, or not a provisionOnDemand response (no `key`).
    """
    record, origin = _as_record(response, origin)
    if not isinstance(record, dict) or "key" not in record:
        raise InputError(origin, "not a provisionOnDemand response (no 'key')")
    return Page(origin, Container.ON_DEMAND_RESPONSE, records=[record])


def _as_record(response: dict[str, Any] | str | Path, origin: Origin | None) -> tuple[Any, Origin]:
    if isinstance(response, dict):
        return response, origin or Origin("on-demand response", place=Place.ON_DEMAND)
    if isinstance(response, str) and response.lstrip().startswith("{"):
        source = origin or Origin("on-demand response text", place=Place.ON_DEMAND)
        try:
            return orjson.loads(response), source
        except orjson.JSONDecodeError as exc:
            raise InputError(source, f"not valid JSON ({exc})") from exc
    path = Path(response)
    if not path.is_file():
        raise InputError(str(path), "no such file")
    try:
        return orjson.loads(read_bytes(path)), Origin(str(path), place=Place.ON_DEMAND)
    except orjson.JSONDecodeError as exc:
        raise InputError(str(path), f"not valid JSON ({exc})") from exc
