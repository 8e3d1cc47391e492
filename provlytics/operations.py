"""Provision on demand: validate subjects, stay under Graph's rate limit, decode the verdict.

`provisionOnDemand` allows 5 requests per 10 seconds (its Graph reference page). One call takes
one subject: a single user ("Select a user and provision the account on-demand", the Graph
reference; "one user at a time", Entra's on-demand provisioning limits), or a single group
with at most 5 members ("can only accept a single group with up to 5 members at a time",
same page). Several users are provisioned with `provision_on_demand_batch`, one call each.

Every call here goes through the client's shared `on_demand_limiter`, so consecutive calls on
one client never exceed the limit; the POST is retried only on 429/503 (the session's rule
for POST).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from provlytics.errors import ConfigError, GraphError, InputError, ProvlyticsError
from provlytics.graph.client import GraphClient
from provlytics.graph.synchronization import (
    get_job_schema,
    jobs_path,
    list_jobs,
    path_segment,
    sync_rules,
)
from provlytics.origin import Origin, Place
from provlytics.pipeline.on_demand import OnDemandResult, combine_results, parse_on_demand
from provlytics.progress import progress_bar
from provlytics.tables import ProvisioningFrames

logger = logging.getLogger(__name__)

MAX_GROUP_MEMBERS = 5
MAX_SUBJECTS_PER_CALL = 1
SUBJECT_KEYS = frozenset({"objectId", "objectTypeName", "links"})
LINK_KEYS = frozenset({"members", "owners", "manager"})

Subject = str | Mapping[str, Any]


def provision_on_demand(
    client: GraphClient,
    service_principal_id: str,
    job_id: str,
    rule_id: str,
    subjects: Subject | Iterable[Subject],
) -> OnDemandResult:
    """Provision one user (or one group with up to 5 members) now, and return Graph's verdict.

    Example:
        >>> result = provision_on_demand(client, sp_id, job_id, rule_id, ["9bb0f679-..."])
        >>> result.result, result.error_code
        ('Skipped', 'RedundantExport')

    Args:
        rule_id: the synchronizationRule id from the job schema (see `sync_rules`).
        subjects: one synchronizationJobSubject dict (`objectId`, `objectTypeName`, optional
            `links`) or a plain user object id (sent as `objectTypeName: "User"`), alone or
            in a one-item list.

    Raises:
        ConfigError: invalid ids, subjects or rule id, or more than one subject (nothing is
            sent; see `provision_on_demand_batch` for several users).
        GraphError: Graph refused the call (e.g. 409), or kept throttling it.
        InputError: the response is not a provisionOnDemand answer.
    """
    body = build_on_demand_body(rule_id, subjects)
    path = f"{jobs_path(service_principal_id, job_id)}/provisionOnDemand"
    response = client.post_json(path, body, limiter=client.on_demand_limiter)
    origin = Origin(client.url(path), place=Place.ON_DEMAND)
    if response is None:
        raise InputError(origin, "provisionOnDemand answered without a body")
    return parse_on_demand(response, origin)


def build_on_demand_body(
    rule_id: str, subjects: Subject | Iterable[Subject]
) -> dict[str, list[dict[str, Any]]]:
    """The provisionOnDemand request body, `{"parameters": [{"subjects": [...], "ruleId": ...}]}`.

    Raises:
        ConfigError: an empty rule id or subject list, an unknown key, more than one subject
            (one user, or one group), or more than 5 group members.
    """
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise ConfigError(f"rule id must be a non-empty string, got {rule_id!r}")
    items = [subjects] if isinstance(subjects, str | Mapping) else list(subjects)
    if not items:
        raise ConfigError("provisionOnDemand needs at least one subject")
    checked = [build_subject(item, f"subject {i}") for i, item in enumerate(items)]
    if len(checked) > MAX_SUBJECTS_PER_CALL:
        kinds = sorted({s["objectTypeName"] for s in checked})
        raise ConfigError(
            f"provisionOnDemand accepts one subject per call (one user, or one group with up "
            f"to {MAX_GROUP_MEMBERS} members), got {len(checked)} ({', '.join(kinds)}); "
            "use provision_on_demand_batch for several users"
        )
    return {"parameters": [{"subjects": checked, "ruleId": rule_id}]}


def build_subject(subject: Subject, where: str = "subject") -> dict[str, Any]:
    """A checked synchronizationJobSubject dict; a plain string is a user object id."""
    if isinstance(subject, str):
        subject = {"objectId": subject, "objectTypeName": "User"}
    if not isinstance(subject, Mapping):
        raise ConfigError(f"{where}: expected an object id or a dict, got {subject!r}")
    unknown = sorted(set(subject) - SUBJECT_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown keys {unknown}; allowed: {sorted(SUBJECT_KEYS)}")
    result = {
        "objectId": _text(subject.get("objectId"), f"{where}: objectId"),
        "objectTypeName": _text(subject.get("objectTypeName"), f"{where}: objectTypeName"),
    }
    if subject.get("links") is not None:
        result["links"] = _build_links(subject["links"], where)
    return result


def _build_links(links: Any, where: str) -> dict[str, Any]:
    if not isinstance(links, Mapping):
        raise ConfigError(f"{where}: links must be a dict, got {links!r}")
    unknown = sorted(set(links) - LINK_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown links {unknown}; allowed: {sorted(LINK_KEYS)}")
    result: dict[str, Any] = {}
    for name, value in links.items():
        if name == "manager":
            result[name] = build_subject(value, f"{where}: manager")
            continue
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: links.{name} must be a list, got {value!r}")
        if name == "members" and len(value) > MAX_GROUP_MEMBERS:
            raise ConfigError(
                f"{where}: provisionOnDemand accepts at most {MAX_GROUP_MEMBERS} group "
                f"members per call, got {len(value)}"
            )
        result[name] = [build_subject(v, f"{where}: {name} {i}") for i, v in enumerate(value)]
    return result


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{what} must be a non-empty string, got {value!r}")
    return value


@dataclass(frozen=True)
class OnDemandFailure:
    """One subject that did not provision: a Failure verdict or an error."""

    object_id: str
    reason: str
    error_code: str | None = None
    result: OnDemandResult | None = None
    error: ProvlyticsError | None = None


@dataclass(frozen=True)
class OnDemandBatch:
    """The outcome of provisioning several subjects one call at a time."""

    results: dict[str, OnDemandResult] = field(default_factory=dict)
    failures: list[OnDemandFailure] = field(default_factory=list)
    frames: ProvisioningFrames = field(default_factory=ProvisioningFrames)

    @property
    def ok(self) -> bool:
        """True when every subject got a non-failure verdict."""
        return not self.failures


def provision_on_demand_batch(
    client: GraphClient,
    sp_id: str,
    job_id: str,
    rule_id: str,
    user_ids: Iterable[Subject],
    *,
    progress: bool | None = None,
) -> OnDemandBatch:
    """Provision subjects one call each, at the allowed rate, without stopping at failures.

    Example:
        >>> batch = provision_on_demand_batch(client, sp_id, job_id, rule_id, ids)
        >>> [(f.object_id, f.reason) for f in batch.failures]

    Args:
        user_ids: user object ids, or subject dicts (e.g. one group with its members).
        progress: show a progress bar (None: only in a terminal or notebook).

    Returns:
        Verdicts by object id; failures (GraphError/InputError or a Failure verdict);
        the tables of every returned event together.

    Raises:
        ConfigError: a subject is invalid (checked before any call).
    """
    subjects = [build_subject(s, f"subject {i}") for i, s in enumerate(user_ids)]
    results: dict[str, OnDemandResult] = {}
    failures: list[OnDemandFailure] = []
    disable = None if progress is None else not progress
    with progress_bar("Provisioning", unit="subject", total=len(subjects), disable=disable) as bar:
        for subject in subjects:
            result, failure = _provision_one(client, sp_id, job_id, rule_id, subject)
            if result is not None:
                results[subject["objectId"]] = result
            if failure is not None:
                failures.append(failure)
            bar.update(1)
    return OnDemandBatch(results, failures, combine_frames(results.values()))


def _provision_one(
    client: GraphClient, sp_id: str, job_id: str, rule_id: str, subject: dict[str, Any]
) -> tuple[OnDemandResult | None, OnDemandFailure | None]:
    object_id = subject["objectId"]
    try:
        result = provision_on_demand(client, sp_id, job_id, rule_id, [subject])
    except (GraphError, InputError) as exc:
        logger.warning("on-demand provisioning of %s failed: %s", object_id, exc)
        code = exc.code if isinstance(exc, GraphError) else None
        return None, OnDemandFailure(object_id, str(exc), code, error=exc)
    if result.ok:
        return result, None
    reason = result.message or result.error_code or "Failure"
    return result, OnDemandFailure(object_id, reason, result.error_code, result=result)


def combine_frames(results: Iterable[OnDemandResult]) -> ProvisioningFrames:
    """The tables of several on-demand results, de-duplicated like any load (the last copy
    of an event wins); see `provlytics.pipeline.on_demand.combine_results`."""
    return combine_results(results)


def job_rules(
    client: GraphClient, service_principal_id: str, job_id: str | None = None
) -> list[dict[str, Any]]:
    """The synchronization rules of one job, or of every job of a service principal.

    Example:
        >>> [(r["id"], r["name"]) for r in job_rules(client, sp_id, job_id)]
        [('03f7d90d-bf71-41b1-bda6-aaf0ddbee5d8', 'USERGROUP_OUTBOUND_USERGROUP')]

    Returns:
        One dict per rule, in the job's order: `job_id` and the keys of `sync_rules` (`id`,
        the `ruleId` that `provision_on_demand` needs, `name`, `source_directory`,
        `target_directory`, `priority`, `supports_provision_on_demand`). Source: the job's
        `GET .../jobs/{id}/schema`, its `synchronizationRules`.

    Raises:
        GraphError: Graph refused a call (e.g. 404 for an unknown service principal or job).
    """
    if job_id is None:
        job_ids = [str(job.get("id")) for job in list_jobs(client, service_principal_id)]
    else:
        job_ids = [job_id]
    rules = []
    for job in job_ids:
        schema = get_job_schema(client, service_principal_id, job)
        rules += [{"job_id": job, **rule} for rule in sync_rules(schema)]
    return rules


def only_rule(client: GraphClient, service_principal_id: str, job_id: str) -> dict[str, Any]:
    """The job's rule when it has exactly one (the usual case: one rule per job).

    Raises:
        ConfigError: the job has no rule, or several (each listed with its id and name, to
            choose one as `rule_id`).
        GraphError: Graph refused the schema call.
    """
    rules = job_rules(client, service_principal_id, job_id)
    if len(rules) == 1:
        return rules[0]
    if not rules:
        raise ConfigError(
            f"job {job_id} has no synchronization rule: provisioning on demand needs one"
        )
    listed = "; ".join(f"{r['id']} ({r['name']})" for r in rules)
    raise ConfigError(f"job {job_id} has {len(rules)} synchronization rules, choose one: {listed}")


def service_principal_name(client: GraphClient, service_principal_id: str) -> str | None:
    """The display name of a service principal (the app's name in Enterprise applications).

    Returns None, with a log line, when Graph does not give it (e.g. the app lacks
    `Application.Read.All`): the name is a courtesy, never a reason to fail.
    """
    path = f"servicePrincipals/{path_segment(service_principal_id, 'service principal id')}"
    try:
        body = client.get_json(path, params={"$select": "id,displayName"})
    except (GraphError, InputError) as exc:
        logger.info("no display name for service principal %s: %s", service_principal_id, exc)
        return None
    name = body.get("displayName")
    return name if isinstance(name, str) and name else None
