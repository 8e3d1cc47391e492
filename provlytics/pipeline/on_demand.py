"""provisionOnDemand responses -> a verdict and tables, on the one route.

The source (`sources.on_demand`) gives the response's page; the verdict comes from its `key`
(a JSON string: `{result, details{errorCode, errorMessage}}`), the tables from the page.
Several results combine like any load: de-duplicated on event id, the last copy winning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provlytics.errors import ConfigError, InputError
from provlytics.normalize.dialects import parse_json_text
from provlytics.origin import Origin
from provlytics.pipeline import route
from provlytics.sources.on_demand import on_demand_page
from provlytics.tables import ProvisioningFrames


@dataclass(frozen=True)
class OnDemandResult:
    """The outcome of one on-demand provisioning call.

    `page` is the normalized response the frames were built from (for `combine_results`).
    """

    result: str
    error_code: str | None
    message: str | None
    frames: ProvisioningFrames
    page: route.NormalizedPage | None = field(default=None, repr=False, compare=False)

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
    page = on_demand_page(response, origin)
    record = (page.records or [{}])[0]
    try:
        verdict = parse_json_text(record["key"], "key")
    except InputError as exc:
        raise exc.located(page.origin) from None
    details = verdict.get("details") if isinstance(verdict, dict) else None
    details = details if isinstance(details, dict) else {}
    normalized = route.page_tables(page)
    return OnDemandResult(
        result=str(verdict.get("result")) if isinstance(verdict, dict) else "",
        error_code=details.get("errorCode"),
        message=details.get("errorMessage"),
        frames=route.frames_of([normalized]),
        page=normalized,
    )


def combine_results(results: Iterable[OnDemandResult]) -> ProvisioningFrames:
    """The tables of several on-demand results, de-duplicated like any load (the last copy
    of an event wins, with its own steps and properties).

    Raises:
        ConfigError: a result made by hand, without the normalized page it came from.
    """
    pages = []
    for result in results:
        if result.page is None:
            raise ConfigError(
                f"an on-demand result without its page (made by hand?): {result!r}; combine "
                "the results of provision_on_demand or read_on_demand_result"
            )
        pages.append(result.page)
    return route.frames_of(pages)


__all__ = [
    "OnDemandResult",
    "combine_results",
    "parse_on_demand",
    "read_on_demand",
    "read_on_demand_result",
]
