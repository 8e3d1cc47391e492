"""The Graph calls that configure and run provisioning (synchronization) jobs.

One small function per request of "Configure provisioning using the Microsoft Graph API":
find the gallery template, instantiate it, list the provisioning templates, create, start,
pause and restart a job, read a job (or all of them) and its schema. Each function sends one
logical request through `GraphClient` (its retry rules apply) and returns the parsed JSON.
Ids go into paths through `path_segment`: percent-encoded with nothing kept (`/`, `?`, `#`,
`%` included), so an id such as `33f7c90d-...#V2` stays one segment; `.`, `..`, blank ids and
control characters are refused, since urllib3 would resolve dot segments and climb the path.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import quote

from provlytics.errors import ConfigError
from provlytics.graph.client import GraphClient

logger = logging.getLogger(__name__)

RESTART_SCOPES = (
    "None",
    "ConnectorDataStore",
    "Escrows",
    "Watermark",
    "QuarantineState",
    "Full",
    "ForceDeletes",
)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def path_segment(value: str, what: str) -> str:
    """An id as exactly one percent-encoded URL path segment.

    Example:
        >>> path_segment("a/b#V2", "job id")
        'a%2Fb%23V2'

    Raises:
        ConfigError: not a string, blank, `.` or `..`, or holding control characters (each
            would change which resource the path names).
    """
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{what} must be a non-empty string, got {value!r}")
    if value.strip() in (".", ".."):
        raise ConfigError(f"{what} {value!r} is a dot segment, which would climb the URL path")
    if _CONTROL.search(value):
        raise ConfigError(f"{what} {value!r} contains control characters")
    return quote(value, safe="")


def jobs_path(sp_id: str, job_id: str | None = None) -> str:
    """The path of a service principal's jobs collection, or of one job.

    Example:
        >>> jobs_path("29f6", "aWS.1")
        'servicePrincipals/29f6/synchronization/jobs/aWS.1'
    """
    sp = path_segment(sp_id, "service principal id")
    path = f"servicePrincipals/{sp}/synchronization/jobs"
    return path if job_id is None else f"{path}/{path_segment(job_id, 'job id')}"


def find_application_templates(client: GraphClient, display_name: str) -> list[dict[str, Any]]:
    """The gallery application templates whose display name equals `display_name` exactly."""
    escaped = display_name.replace("'", "''")
    params = {"$filter": f"displayName eq '{escaped}'"}
    return _collect(client, "applicationTemplates", params)


def instantiate_template(
    client: GraphClient, template_id: str, display_name: str
) -> dict[str, Any]:
    """Create an application and service principal from a gallery template.

    Returns Graph's `{"application": {...}, "servicePrincipal": {...}}`.
    """
    path = f"applicationTemplates/{path_segment(template_id, 'template id')}/instantiate"
    return _post(client, path, {"displayName": display_name})


def list_sync_templates(client: GraphClient, sp_id: str) -> list[dict[str, Any]]:
    """The provisioning (synchronization) templates available to a service principal."""
    sp = path_segment(sp_id, "service principal id")
    path = f"servicePrincipals/{sp}/synchronization/templates"
    return _collect(client, path)


def create_job(client: GraphClient, sp_id: str, template_id: str) -> dict[str, Any]:
    """Create a provisioning job from a synchronization template; returns the new job."""
    return _post(client, jobs_path(sp_id), {"templateId": template_id})


def start_job(client: GraphClient, sp_id: str, job_id: str) -> None:
    """Start (or resume) a job; Graph answers 204."""
    client.post_json(f"{jobs_path(sp_id, job_id)}/start", None)


def pause_job(client: GraphClient, sp_id: str, job_id: str) -> None:
    """Pause a job; Graph answers 204."""
    client.post_json(f"{jobs_path(sp_id, job_id)}/pause", None)


def restart_job(client: GraphClient, sp_id: str, job_id: str, scope: str = "Full") -> None:
    """Restart a job, resetting `scope` (a synchronizationJobRestartScope, e.g. "Full" or
    "Escrows,QuarantineState").

    Raises:
        ConfigError: `scope` names an unknown flag.
    """
    body = {"criteria": {"resetScope": check_restart_scope(scope)}}
    client.post_json(f"{jobs_path(sp_id, job_id)}/restart", body)


def check_restart_scope(scope: str) -> str:
    """Validate a restart scope (flags joined by commas); return it without spaces."""
    flags = [part.strip() for part in str(scope).split(",")]
    unknown = [flag for flag in flags if flag not in RESTART_SCOPES]
    if unknown:
        raise ConfigError(
            f"unknown restart scope {scope!r}; use one or more of "
            f"{', '.join(RESTART_SCOPES)} joined by commas"
        )
    return ",".join(flags)


def get_job(client: GraphClient, sp_id: str, job_id: str) -> dict[str, Any]:
    """One synchronization job, with its schedule and status."""
    return client.get_json(jobs_path(sp_id, job_id))


def list_jobs(client: GraphClient, sp_id: str) -> list[dict[str, Any]]:
    """Every synchronization job of a service principal (all pages)."""
    return _collect(client, jobs_path(sp_id))


def get_job_schema(client: GraphClient, sp_id: str, job_id: str) -> dict[str, Any]:
    """A job's synchronization schema: directories and `synchronizationRules`."""
    return client.get_json(f"{jobs_path(sp_id, job_id)}/schema")


def sync_rules(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The rules of a schema (or of a template holding one), as flat dicts.

    Each dict holds `id`, `name`, `source_directory`, `target_directory`, `priority` and
    `supports_provision_on_demand` (from the rule's metadata; None when not stated). The `id`
    is the `ruleId` that `provision_on_demand` needs.
    """
    rules = schema.get("synchronizationRules")
    if rules is None and isinstance(schema.get("schema"), dict):
        rules = schema["schema"].get("synchronizationRules")
    return [_rule_row(rule) for rule in rules or [] if isinstance(rule, dict)]


def _rule_row(rule: dict[str, Any]) -> dict[str, Any]:
    metadata = {
        item.get("key"): item.get("value")
        for item in rule.get("metadata") or []
        if isinstance(item, dict)
    }
    return {
        "id": rule.get("id"),
        "name": rule.get("name"),
        "source_directory": rule.get("sourceDirectoryName"),
        "target_directory": rule.get("targetDirectoryName"),
        "priority": rule.get("priority"),
        "supports_provision_on_demand": _flag(metadata.get("supportsProvisionOnDemand")),
    }


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    try:
        parsed = json.loads(str(value).lower())
    except ValueError:
        return None
    return parsed if isinstance(parsed, bool) else None


def _collect(
    client: GraphClient, path: str, params: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for page in client.iter_pages(path, params=params):
        records.extend(page.records)
    return records


def _post(client: GraphClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    result = client.post_json(path, body)
    return result if result is not None else {}
