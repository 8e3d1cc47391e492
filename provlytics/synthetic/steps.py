"""Provisioning steps and modified properties of a planned synthetic event."""

from __future__ import annotations

import random

import orjson

from provlytics.synthetic.catalogue import Plan
from provlytics.synthetic.world import Group, Person, new_guid

_VERBS = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "disable": "disabled",
    "stagedDelete": "soft-deleted",
    "other": "updated",
}
_CHANGE_TYPES = {"create": "Add", "delete": "Delete"}
_DEPARTMENTS = (
    "Sales",
    "Finance",
    "Engineering",
    "Support",
    "Marketing",
    "Legal",
    "Ventes",
    "Forschung & Entwicklung",
    "Operações",
)
_TITLES = (
    "Account Executive",
    "Engineer II",
    "Analyst",
    "Team Lead",
    "Directrice",
    "Sachbearbeiterin",
    "Support Specialist",
)


def _step(name: str, step_type: str, status: str, description: str, details: dict) -> dict:
    return {
        "name": name,
        "provisioningStepType": step_type,
        "status": status,
        "description": description,
        "details": details,
    }


def build_steps(plan: Plan) -> list[dict]:
    """The `provisioningSteps` of a planned event, the failing or skipping one last."""
    if plan.status == "skipped":
        steps = _skip_steps(plan)
    else:
        steps = _flow(plan)
        if plan.status == "warning":
            steps.insert(-1, _reference_step(plan, "warning"))
        elif plan.status == "failure":
            steps = _fail(plan, steps)
    return steps


def _import_step(plan: Plan) -> dict:
    app, subject = plan.app.spec, plan.subject
    change = _CHANGE_TYPES.get(plan.action, "Update")
    if app.inbound:
        details = {"WorkerID": subject.worker_id, "UserID": subject.nickname}
    else:
        details = {"objectId": subject.object_id}
    return _step(
        f"EntryImport{change}",
        "import",
        "success",
        f"Received {plan.kind} '{plan.reportable}' change of type ({change}) from "
        f"{app.source_name}",
        details,
    )


def _match_step(plan: Plan) -> dict:
    details = {"id": plan.target_id, "displayName": plan.subject.display_name}
    return _step(
        "EntryImport",
        "matching",
        "success",
        f"Retrieved {plan.kind} '{plan.reportable}' from {plan.app.spec.target_name}",
        details,
    )


def _scoping_step(plan: Plan, *, assigned: bool = True) -> dict:
    role = f"{plan.kind} has the required role"
    filter_result = (
        "{\"Active workers filter.StatusActive EQUALS '1'\":true}"
        if plan.app.spec.inbound
        else "{}"
    )
    return _step(
        "EntrySynchronizationScoping",
        "scoping",
        "success",
        f"Determine if {plan.kind} in scope by evaluating against each scoping filter",
        {
            "Active in the source system": "True",
            "Assigned to the application": str(assigned),
            role: str(assigned),
            "Scoping filter evaluation passed": "True",
            "ScopeEvaluationResult": filter_result,
        },
    )


def _flow(plan: Plan) -> list[dict]:
    """The steps of an event that runs to its export."""
    app, name, kind = plan.app.spec.target_name, plan.reportable, plan.kind
    verb = _VERBS[plan.action]
    export = {"ReportableIdentifier": name}
    if plan.action == "create":
        decision = _step(
            "EntrySynchronizationAdd",
            "matching",
            "success",
            f"{kind} '{name}' will be created in {app} ({kind} is active and assigned in "
            f"{plan.app.spec.source_name}, but no matching {kind} was found in {app})",
            {},
        )
        middle = [_scoping_step(plan), decision]
        export_step = _step(
            "EntryExportAdd", "export", "success", f"{kind} '{name}' was created in {app}", export
        )
    else:
        suffix = "Delete" if plan.action == "delete" else "Update"
        middle = [_match_step(plan), _scoping_step(plan)]
        if plan.action == "delete":
            middle.append(
                _step(
                    "EntrySynchronizationDelete",
                    "processing",
                    "success",
                    f"{kind} '{name}' will be {verb} in {app}",
                    {},
                )
            )
        export_step = _step(
            f"EntryExport{suffix}",
            "export",
            "success",
            f"{kind} '{name}' was {verb} in {app}",
            export,
        )
    return [_import_step(plan), *middle, export_step]


def _reference_step(plan: Plan, status: str) -> dict:
    return _step(
        "EntryReferenceResolution",
        "referenceResolution",
        status,
        f"Failed to resolve the reference attribute '{plan.attr}' of {plan.kind} "
        f"'{plan.reportable}'",
        {"ReportableIdentifier": plan.reportable, "PropertyName": plan.attr},
    )


def _fail(plan: Plan, steps: list[dict]) -> list[dict]:
    """Cut the flow at the failing step, which gets status `failure`."""
    error = plan.error
    assert error is not None
    if error.step == "referenceResolution":
        return [*steps[:-1], _reference_step(plan, "failure")]
    index = next(i for i, s in enumerate(steps) if s["provisioningStepType"] == error.step)
    failed = dict(steps[index], status="failure")
    app, kind, name = plan.app.spec.target_name, plan.kind, plan.reportable
    if error.step == "matching":
        failed["description"] = f"Failed to match {kind} '{name}' in {app}"
    else:
        verb = "create" if plan.action == "create" else plan.action.replace("stagedD", "d")
        failed["description"] = f"Failed to {verb} {kind} '{name}' in {app}"
    failed["details"] = {"ReportableIdentifier": name}
    return [*steps[:index], failed]


def _skip_steps(plan: Plan) -> list[dict]:
    kind, name, reason = plan.kind, plan.reportable, plan.skip_reason
    details = {"ReportableIdentifier": name, "SkipReason": reason}
    if reason == "NotEffectivelyEntitled":
        text = (
            f"The {kind} '{name}' will be skipped because it is not effectively entitled "
            "for provisioning (not assigned to the application or disabled)."
        )
        skip = _step("EntrySynchronizationSkip", "processing", "skipped", text, details)
        return [_import_step(plan), _scoping_step(plan, assigned=False), skip]
    if reason == "RedundantExport":
        text = (
            f"The state of the entry in both the source and target systems already match. "
            f"No change to the {kind} '{name}' currently needs to be made."
        )
        skip = _step("EntrySynchronizationSkip", "export", "skipped", text, details)
        return [_import_step(plan), _match_step(plan), _scoping_step(plan), skip]
    details["PropertyName"] = plan.attr
    text = (
        f"The {kind} '{name}' will be skipped because the value of the property {plan.attr} "
        "is missing or invalid."
    )
    skip = _step("EntrySynchronizationSkip", "processing", "skipped", text, details)
    return [_import_step(plan), skip]


def build_properties(plan: Plan, rng: random.Random) -> list[dict]:
    """The `modifiedProperties` of a planned event (values are strings, `oldValue` often null)."""
    if plan.status == "skipped" or plan.action == "delete":
        return []
    if isinstance(plan.subject, Group):
        return _group_properties(plan, rng)
    if plan.action == "create":
        return [_prop(name, None, value) for name, value in _user_values(plan)]
    return _user_changes(plan, rng)


def _prop(name: str, old: str | None, new: str | None) -> dict:
    return {"displayName": name, "oldValue": old, "newValue": new}


def _user_values(plan: Plan) -> list[tuple[str, str]]:
    user, key = plan.subject, plan.app.spec.key
    assert isinstance(user, Person)
    if key == "salesforce":
        return [
            ("Username", user.upn),
            ("Email", user.upn),
            ("FirstName", user.given),
            ("LastName", user.family),
            ("Alias", user.nickname[:8]),
            ("IsActive", "True"),
        ]
    if key == "servicenow":
        return [
            ("user_name", user.nickname),
            ("email", user.upn),
            ("first_name", user.given),
            ("last_name", user.family),
            ("active", "true"),
        ]
    if key == "workday":
        return [
            ("sAMAccountName", user.nickname[:20]),
            ("userPrincipalName", user.upn),
            ("givenName", user.given),
            ("sn", user.family),
            ("displayName", user.display_name),
            ("company", "Contoso"),
            ("accountDisabled", "False"),
        ]
    return [
        ("externalId", user.nickname),
        ("userName", user.upn),
        ("active", "True"),
        ("displayName", user.display_name),
        ("name.givenName", user.given),
        ("name.familyName", user.family),
        ('emails[type eq "work"].value', user.upn),
    ]


def _user_changes(plan: Plan, rng: random.Random) -> list[dict]:
    """An update: account-state noise, then one or two real attribute changes."""
    inbound = plan.app.spec.inbound
    if plan.action in ("disable", "stagedDelete"):
        if inbound:
            return [_prop("accountDisabled", "False", "True")]
        return [_prop("accountEnabled", "True", "False")]
    noise = (
        _prop("accountDisabled", "False", "False")
        if inbound
        else _prop("accountEnabled", None, "True")
    )
    changes = [noise, _prop("department", *rng.sample(_DEPARTMENTS, 2))]
    if rng.random() < 0.5:
        changes.append(_prop("jobTitle", rng.choice((None, *_TITLES)), rng.choice(_TITLES)))
    if rng.random() < 0.2:
        changes.append(_prop("manager", None, new_guid(rng)))
    return changes


def _group_properties(plan: Plan, rng: random.Random) -> list[dict]:
    group = plan.subject
    assert isinstance(group, Group)
    members = orjson.dumps([new_guid(rng) for _ in range(rng.randint(1, 4))])
    change = _prop("members", None, members.decode())
    if plan.action != "create":
        return [change]
    return [
        _prop("objectId", None, group.object_id),
        _prop("displayName", None, group.display_name),
        _prop("mailEnabled", None, "False"),
        _prop("mailNickname", None, group.nickname),
        _prop("securityEnabled", None, "True"),
        change,
    ]
