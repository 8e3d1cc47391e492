"""provisionOnDemand responses: `key` (the verdict) and `value` (the event) are JSON strings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from provlytics.errors import InputError
from provlytics.normalize.batch import normalize_page
from provlytics.normalize.dialects import parse_json_text
from provlytics.origin import Origin, Page
from provlytics.sources.reading import read_bytes
from provlytics.tables import FramesBuilder, ProvisioningFrames


@dataclass(frozen=True)
class OnDemandResult:
    """The outcome of one on-demand provisioning call."""

    result: str
    error_code: str | None
    message: str | None
    frames: ProvisioningFrames

    @property
    def ok(self) -> bool:
        """True unless the verdict is a failure."""
        return self.result.lower() != "failure"


def read_on_demand(response: dict[str, Any] | str | Path) -> ProvisioningFrames:
    """The tables of a provisionOnDemand response: a dict, its JSON text, or a saved file.

    The verdict is not in the tables when the response held no event (a group's `value` is
    `"{}"`): use `read_on_demand_result` to keep it.
    """
    return parse_on_demand(response).frames


def read_on_demand_result(response: dict[str, Any] | str | Path) -> OnDemandResult:
    """A saved provisionOnDemand response as `pv.provision_on_demand` returns a live one.

    Example:
        >>> result = read_on_demand_result("data/samples/on-demand/group-success.json")
        >>> result.result, len(result.frames.events)
        ('Success', 0)

    Args:
        response: the response as a dict, its JSON text, or the path of a saved file.

    Returns:
        `OnDemandResult`: the verdict (`result`, `error_code`, `message`, from `key`) and the
        tables of the returned event (`frames`, from `value`; empty when `value` is `"{}"`).

    Raises:
        InputError: not JSON, no such file, or not a provisionOnDemand response.
    """
    return parse_on_demand(response)


def parse_on_demand(
    response: dict[str, Any] | str | Path, origin: Origin | None = None
) -> OnDemandResult:
    """Decode a provisionOnDemand response into its verdict and tables."""
    record, origin = _as_record(response, origin)
    if not isinstance(record, dict) or "key" not in record:
        raise InputError(origin, "not a provisionOnDemand response (no 'key')")
    try:
        verdict = parse_json_text(record["key"], "key")
    except InputError as exc:
        raise exc.located(origin) from None
    details = verdict.get("details") if isinstance(verdict, dict) else None
    details = details if isinstance(details, dict) else {}
    builder = FramesBuilder()
    builder.add(normalize_page(Page([record], origin)), origin.source)
    return OnDemandResult(
        result=str(verdict.get("result")) if isinstance(verdict, dict) else "",
        error_code=details.get("errorCode"),
        message=details.get("errorMessage"),
        frames=builder.build(),
    )


def _as_record(response: dict[str, Any] | str | Path, origin: Origin | None) -> tuple[Any, Origin]:
    if isinstance(response, dict):
        return response, origin or Origin("on-demand response")
    if isinstance(response, str) and response.lstrip().startswith("{"):
        source = origin or Origin("on-demand response text")
        try:
            return orjson.loads(response), source
        except orjson.JSONDecodeError as exc:
            raise InputError(source, f"not valid JSON ({exc})") from exc
    path = Path(response)
    if not path.is_file():
        raise InputError(str(path), "no such file")
    try:
        return orjson.loads(read_bytes(path)), Origin(str(path))
    except orjson.JSONDecodeError as exc:
        raise InputError(str(path), f"not valid JSON ({exc})") from exc
