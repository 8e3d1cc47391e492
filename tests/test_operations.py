"""provisionOnDemand: exact request bodies, verdicts, validation, throttling, batches."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fakegraph import FakeClock, FakeGraph, graph_error, json_response
from payloads import on_demand_cloud_sync_update, on_demand_group, on_demand_skipped
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from provlytics.errors import ConfigError, GraphError
from provlytics.graph import GraphClient
from provlytics.operations import (
    build_on_demand_body,
    job_rules,
    only_rule,
    provision_on_demand,
    provision_on_demand_batch,
    service_principal_name,
)
from provlytics.pipeline.on_demand import read_on_demand_result

# Example 1 of provision-on-demand.md
SP1, JOB1 = "c8c95753-f628-48e1-9fab-76c2d4cf624c", "3f7565a3-fde6-4e4d-bda8-1bb70aba3612"
RULE1, USER1 = "ea807875-5618-4f0a-9125-0b46a05298ca", "9bb0f679-a883-4a6f-8260-35b491b8b8c8"
PATH1 = f"/v1.0/servicePrincipals/{SP1}/synchronization/jobs/{JOB1}/provisionOnDemand"
BODY1 = {
    "parameters": [
        {
            "subjects": [{"objectId": USER1, "objectTypeName": "User"}],
            "ruleId": RULE1,
        }
    ]
}
# Example 2 (Cloud Sync)
SP2, JOB2 = "3e916d82-dd59-4944-824d-93092908fd8d", "264ea562-28cd-42b1-93e0-8de1f0560581"
RULE2, DN2 = "6c409270-f78a-4bc6-af23-7cf3ab6482fe", "CN=AdeleV,CN=Users,DC=corp,DC=chicago,DC=com"
PATH2 = f"/v1.0/servicePrincipals/{SP2}/synchronization/jobs/{JOB2}/provisionOnDemand"
# Example 3 (a group and two members)
SP3, JOB3 = "4e116d82-dd59-4944-824d-93091408fd8d", "664ea562-18cd-42bb-33e0-8de1f0560581"
RULE3, GROUP3 = "33f7c90d-bf71-41b1-bda6-aaf0ddbee5d8#V2", "8213fd99-d6b6-417b-8e13-af6334856215"
MEMBERS3 = ["cbc86211-6ada-4803-b73f-8039cf56d8a2", "2bc86211-6ada-4803-b73f-8039cf56d8a2"]
PATH3 = f"/v1.0/servicePrincipals/{SP3}/synchronization/jobs/{JOB3}/provisionOnDemand"
BODY3 = {
    "parameters": [
        {
            "ruleId": RULE3,
            "subjects": [
                {
                    "objectId": GROUP3,
                    "objectTypeName": "Group",
                    "links": {
                        "members": [{"objectId": m, "objectTypeName": "User"} for m in MEMBERS3]
                    },
                }
            ],
        }
    ]
}


def bodies(httpserver: HTTPServer) -> list[tuple[str, str, Any]]:
    return [(r.method, r.path, json.loads(r.get_data())) for r, _ in httpserver.log]


def group(members: list[str]) -> dict[str, Any]:
    links = {"members": [{"objectId": m, "objectTypeName": "User"} for m in members]}
    return {"objectId": GROUP3, "objectTypeName": "Group", "links": links}


def test_example_1_user_is_skipped(
    graph: FakeGraph, client: GraphClient, httpserver: HTTPServer
) -> None:
    graph.route("POST", PATH1, json=on_demand_skipped())
    result = provision_on_demand(client, SP1, JOB1, RULE1, [USER1])
    assert bodies(httpserver) == [("POST", PATH1, BODY1)]
    assert list(json.loads(httpserver.log[0][0].get_data())["parameters"][0]) == [
        "subjects",
        "ruleId",
    ]
    assert httpserver.log[0][0].headers["Content-Type"] == "application/json"
    assert result.result == "Skipped"
    assert result.ok
    assert result.error_code == "RedundantExport"
    assert (
        result.message
        == "The state of the user in both the source and target systems already match."
    )
    events = result.frames.events
    assert len(events) == 1
    assert events.iloc[0]["skip_reason"] == "RedundantExport"


def test_a_single_id_string_is_one_subject(
    graph: FakeGraph, client: GraphClient, httpserver: HTTPServer
) -> None:
    graph.route("POST", PATH1, json=on_demand_skipped())
    provision_on_demand(client, SP1, JOB1, RULE1, USER1)
    assert bodies(httpserver) == [("POST", PATH1, BODY1)]


def test_example_2_cloud_sync_subject_dict(
    graph: FakeGraph, client: GraphClient, httpserver: HTTPServer
) -> None:
    graph.route("POST", PATH2, json=on_demand_cloud_sync_update())
    subject = {"objectId": DN2, "objectTypeName": "user"}
    result = provision_on_demand(client, SP2, JOB2, RULE2, [subject])
    expected = {"parameters": [{"ruleId": RULE2, "subjects": [subject]}]}
    assert bodies(httpserver) == [("POST", PATH2, expected)]
    assert result.result == "Success"
    assert len(result.frames.events) == 1


def test_example_3_group_with_two_members(
    graph: FakeGraph, client: GraphClient, httpserver: HTTPServer
) -> None:
    graph.route("POST", PATH3, json=on_demand_group())
    result = provision_on_demand(client, SP3, JOB3, RULE3, [group(MEMBERS3)])
    assert bodies(httpserver) == [("POST", PATH3, BODY3)]
    assert result.result == "Success"
    assert result.frames.events.empty  # value "{}" holds no event


@pytest.mark.parametrize(
    ("subjects", "message"),
    [
        ([group([f"m{i}" for i in range(6)])], "at most 5 group members"),
        ([group(["a"]), {"objectId": "g2", "objectTypeName": "Group"}], "one subject per call"),
        (["u1", "u2"], r"one subject per call .*got 2 \(User\); use provision_on_demand_batch"),
        ([group(["a"]), "u1"], r"got 2 \(Group, User\)"),
        ([""], "objectId must be a non-empty string"),
        (["  "], "objectId must be a non-empty string"),
        ([], "at least one subject"),
        ([{"objectId": "u1"}], "objectTypeName must be a non-empty string"),
        ([{"objectId": "u1", "objectTypeName": "User", "ruleId": "r"}], "unknown keys"),
        ([{"objectId": "g", "objectTypeName": "Group", "links": {"friends": []}}], "unknown links"),
        ([{"objectId": "g", "objectTypeName": "Group", "links": {"members": "u"}}], "a list"),
        ([group(["a", ""])], "members 1: objectId"),
        ([42], "expected an object id or a dict"),
    ],
)
def test_invalid_subjects_send_nothing(
    graph: FakeGraph,
    client: GraphClient,
    httpserver: HTTPServer,
    subjects: list[Any],
    message: str,
) -> None:
    graph.route("POST", PATH3, json=on_demand_group())
    with pytest.raises(ConfigError, match=message):
        provision_on_demand(client, SP3, JOB3, RULE3, subjects)
    assert httpserver.log == []


def test_empty_rule_id_is_refused() -> None:
    with pytest.raises(ConfigError, match="rule id"):
        build_on_demand_body("", [USER1])


def test_five_members_are_allowed() -> None:
    body = build_on_demand_body(RULE3, [group([f"m{i}" for i in range(5)])])
    assert len(body["parameters"][0]["subjects"][0]["links"]["members"]) == 5


def test_conflict_is_a_graph_error(graph: FakeGraph, client: GraphClient) -> None:
    graph.route(
        "POST",
        PATH1,
        handler=lambda _r: graph_error(409, "Conflict", "A provisioning cycle is in progress."),
    )
    with pytest.raises(GraphError) as caught:
        provision_on_demand(client, SP1, JOB1, RULE1, [USER1])
    assert (caught.value.status, caught.value.code) == (409, "Conflict")
    assert caught.value.request_id == "req-Conflict"
    assert graph.calls == 1


def test_429_is_retried_after_retry_after(
    graph: FakeGraph, client: GraphClient, clock: FakeClock, httpserver: HTTPServer
) -> None:
    graph.route("POST", PATH1, json=on_demand_skipped()).fail("429")
    result = provision_on_demand(client, SP1, JOB1, RULE1, [USER1])
    assert result.result == "Skipped"
    assert clock.sleeps == [1.5]
    assert bodies(httpserver) == [("POST", PATH1, BODY1)] * 2
    assert [response.status_code for _, response in httpserver.log] == [429, 200]


def test_500_on_post_is_not_retried(graph: FakeGraph, client: GraphClient) -> None:
    graph.route("POST", PATH1, json=on_demand_skipped()).fail("500")
    with pytest.raises(GraphError) as caught:
        provision_on_demand(client, SP1, JOB1, RULE1, [USER1])
    assert caught.value.status == 500
    assert graph.calls == 1


def test_seven_calls_stay_under_five_per_ten_seconds(
    graph: FakeGraph, client: GraphClient, clock: FakeClock, httpserver: HTTPServer
) -> None:
    graph.route("POST", PATH1, json=on_demand_skipped()).limit(5, 10.0)
    start = clock()
    for _ in range(7):
        assert provision_on_demand(client, SP1, JOB1, RULE1, [USER1]).result == "Skipped"
    assert clock() - start >= 10.0
    assert graph.throttled == 0
    assert [response.status_code for _, response in httpserver.log] == [200] * 7


def _verdict(result: str, code: str | None = None, message: str | None = None) -> dict:
    details = {"errorCode": code, "errorMessage": message} if code else {}
    return {"key": json.dumps({"result": result, "details": details}), "value": "{}"}


def batch_handler(request: Request) -> Response:
    """Skipped for u1, 409 for u2, a Failure verdict for u3, Success otherwise."""
    subject = request.get_json()["parameters"][0]["subjects"][0]["objectId"]
    if subject == "u1":
        return json_response(on_demand_skipped())
    if subject == "u2":
        return graph_error(409, "Conflict", "A provisioning cycle is in progress.")
    if subject == "u3":
        return json_response(
            _verdict("Failure", "SystemForCrossDomainIdentityManagementBadResponse", "Bad.")
        )
    return json_response(_verdict("Success"))


def test_batch_collects_failures_and_continues(
    graph: FakeGraph, client: GraphClient, clock: FakeClock, httpserver: HTTPServer
) -> None:
    graph.route("POST", PATH1, handler=batch_handler).limit(5, 10.0)
    users = ["u1", "u2", "u3", "u4", "u5", "u6"]
    batch = provision_on_demand_batch(client, SP1, JOB1, RULE1, users, progress=False)
    sent = [json.loads(r.get_data())["parameters"][0]["subjects"] for r, _ in httpserver.log]
    assert sent == [[{"objectId": u, "objectTypeName": "User"}] for u in users]
    assert not batch.ok
    assert [(f.object_id, f.error_code) for f in batch.failures] == [
        ("u2", "Conflict"),
        ("u3", "SystemForCrossDomainIdentityManagementBadResponse"),
    ]
    assert isinstance(batch.failures[0].error, GraphError)
    assert batch.failures[1].result is not None
    assert batch.failures[1].reason == "Bad."
    assert {k: v.result for k, v in batch.results.items()} == {
        "u1": "Skipped",
        "u3": "Failure",
        "u4": "Success",
        "u5": "Success",
        "u6": "Success",
    }
    assert len(batch.frames.events) == 1  # only u1's response carries an event
    assert graph.throttled == 0
    assert clock() - 1000.0 >= 10.0  # six calls: the sixth waited for the window


def test_batch_validates_before_sending(
    graph: FakeGraph, client: GraphClient, httpserver: HTTPServer
) -> None:
    with pytest.raises(ConfigError):
        provision_on_demand_batch(client, SP1, JOB1, RULE1, ["u1", ""], progress=False)
    assert httpserver.log == []


# --- rules, names and saved responses ----------------------------------------------------------

JOBS1 = f"/v1.0/servicePrincipals/{SP1}/synchronization/jobs"
RULE_ROW = {
    "id": RULE1,
    "name": "USER_OUTBOUND_USER",
    "sourceDirectoryName": "Azure Active Directory",
    "targetDirectoryName": "customappsso",
    "priority": 1,
    "metadata": [{"key": "supportsProvisionOnDemand", "value": "true"}],
}


def test_job_rules_and_the_only_rule(graph: FakeGraph, client: GraphClient) -> None:
    graph.route("GET", f"{JOBS1}/{JOB1}/schema", json={"synchronizationRules": [RULE_ROW]})
    rules = job_rules(client, SP1, JOB1)
    assert rules == [
        {
            "job_id": JOB1,
            "id": RULE1,
            "name": "USER_OUTBOUND_USER",
            "source_directory": "Azure Active Directory",
            "target_directory": "customappsso",
            "priority": 1,
            "supports_provision_on_demand": True,
        }
    ]
    assert only_rule(client, SP1, JOB1) == rules[0]


def test_only_rule_refuses_none_or_several(graph: FakeGraph, client: GraphClient) -> None:
    second = RULE_ROW | {"id": "r2", "name": "GROUP_OUTBOUND_GROUP"}
    graph.route("GET", f"{JOBS1}/{JOB1}/schema", json={"synchronizationRules": [RULE_ROW, second]})
    graph.route("GET", f"{JOBS1}/{JOB2}/schema", json={})
    with pytest.raises(ConfigError, match=f"choose one: {RULE1} \\(USER_OUTBOUND_USER\\); r2"):
        only_rule(client, SP1, JOB1)
    with pytest.raises(ConfigError, match=f"job {JOB2} has no synchronization rule"):
        only_rule(client, SP1, JOB2)


def test_service_principal_name_or_none(graph: FakeGraph, client: GraphClient) -> None:
    graph.route("GET", f"/v1.0/servicePrincipals/{SP1}", json={"displayName": "Contoso SCIM"})
    assert service_principal_name(client, SP1) == "Contoso SCIM"
    assert service_principal_name(client, SP2) is None  # 404: no name, no error


def test_a_saved_response_keeps_its_verdict_without_an_event(tmp_path) -> None:
    path = tmp_path / "group.json"
    path.write_text(json.dumps(on_demand_group()), encoding="utf-8")
    result = read_on_demand_result(path)
    assert (result.result, result.error_code, result.ok) == ("Success", None, True)
    assert result.frames.events.empty  # value "{}"
    skipped = read_on_demand_result(json.dumps(on_demand_skipped()))
    assert (skipped.result, skipped.error_code) == ("Skipped", "RedundantExport")
    assert skipped.frames.events["skip_reason"].tolist() == ["RedundantExport"]
