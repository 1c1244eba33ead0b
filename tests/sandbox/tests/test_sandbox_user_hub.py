# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""User Hub: the users list, the paged teams search, the view-users permission, and how tests build the directory."""

from __future__ import annotations

import pytest

from cxone_sandbox import SandboxError
from sandbox_helpers import TEAMS_SEARCH_PATH, USERS_PATH, make_tenant

TEAM_BILLING = {"id": "t-billing", "name": "Billing EMEA", "status": "ACTIVE"}
TEAM_SALES = {"id": "t-sales", "name": "Sales", "status": "INACTIVE"}
ALICE = {"id": "u-alice", "userName": "alice@example.test", "firstName": "Alice", "lastName": "Agent",
         "emailAddress": "Alice@Example.test", "teamId": "t-billing", "status": "ACTIVE"}
BOB = {"id": "u-bob", "userName": "bob@example.test", "teamId": "t-sales", "status": "INACTIVE"}
GONE = {"id": "u-gone", "userName": "gone@example.test", "status": "DELETED"}


@pytest.fixture(name="hub")
def fixture_hub(control, cxone):
    """A tenant whose key may record and view users, with two teams and three users; a token."""
    control.add_tenant(make_tenant(permissions=["record_on_demand", "view_users"], teams=[TEAM_BILLING, TEAM_SALES],
                                   users=[ALICE, BOB, GONE]))
    return cxone.login()


def test_the_users_list_answers_the_directory_without_deleted_users(cxone, hub):
    answer = cxone.users(hub)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    assert answer.json() == {"users": [ALICE, BOB]}
    assert cxone.users(hub, includeDeleted="false").json() == {"users": [ALICE, BOB]}
    assert cxone.users(hub, includeDeleted="true").json() == {"users": [ALICE, BOB, GONE]}
    bad = cxone.users(hub, includeDeleted="maybe")
    assert (bad.status_code, bad.json()["description"]) == (400, "includeDeleted must be true or false")


def test_a_user_without_a_status_is_active(control, cxone, hub):
    control.set_user({"id": "u-new", "userName": "new@example.test"})
    assert cxone.users(hub).json()["users"][-1] == {"id": "u-new", "userName": "new@example.test", "status": "ACTIVE"}


def test_the_teams_search_without_a_filter_pages_with_skip_and_top(control, cxone, hub):
    for number in range(248):
        control.set_team({"id": "t-%03d" % number, "name": "Team %03d" % number})
    first = cxone.search_teams(hub, {"skip": 0, "top": 100})
    assert first.status_code == 200
    body = first.json()
    assert (body["totalRecords"], body["skip"], body["top"], len(body["teams"])) == (250, 0, 100, 100)
    assert body["teams"][:2] == [TEAM_BILLING, TEAM_SALES]
    pages = [cxone.search_teams(hub, {"skip": skip, "top": 100}).json()["teams"] for skip in (0, 100, 200)]
    assert [len(page) for page in pages] == [100, 100, 50]
    assert len({team["id"] for page in pages for team in page}) == 250
    assert cxone.search_teams(hub, {"skip": 300, "top": 100}).json()["teams"] == []
    assert cxone.search_teams(hub, {}).json()["top"] == 100, "skip and top have defaults"


def test_the_teams_search_filters_by_name_in(control, cxone, hub):
    search = {"filter": {"name": ["Sales", "Billing EMEA", "Nobody"]}, "operations": {"name": "IN"}, "skip": 0, "top": 100}
    body = cxone.search_teams(hub, search).json()
    assert (body["totalRecords"], body["teams"]) == (2, [TEAM_BILLING, TEAM_SALES])
    assert cxone.search_teams(hub, {"filter": {"name": ["billing emea"]}}).json()["teams"] == [], "names match exactly"
    assert cxone.search_teams(hub, {"filter": {"status": ["INACTIVE"]}}).json()["teams"] == [TEAM_SALES]


@pytest.mark.parametrize("search, problem", [
    ({"filter": {"colour": ["red"]}}, "filter: unknown field colour"),
    ({"filter": {"name": "Sales"}}, "filter: name must be a list of strings"),
    ({"filter": {"name": ["Sales"]}, "operations": {"name": "EQ"}}, "operations: only IN is supported for name"),
    ({"top": 0}, "top must be a whole number from 1 to 1000"),
    ({"skip": -1}, "skip must be a whole number from 0 to 1000000000"),
    ({"page": 2}, "Unknown field(s) page"),
    ([], "The body must be a JSON object"),
])
def test_a_bad_teams_search_is_400(cxone, hub, search, problem):
    answer = cxone.search_teams(hub, search)
    assert (answer.status_code, answer.json()["description"]) == (400, problem)


def test_the_teams_search_wants_a_json_body(cxone, hub):
    url = cxone.api + "/api-na1" + TEAMS_SEARCH_PATH
    headers = {"Authorization": "Bearer " + hub}
    assert cxone.session.post(url, data="skip=0", headers=headers).status_code == 415
    assert cxone.session.post(url, data="{", headers=dict(headers, **{"Content-Type": "application/json"})).status_code == 400
    wrong_method = cxone.session.get(url, headers=headers)
    assert (wrong_method.status_code, wrong_method.headers["Allow"]) == (405, "POST")
    assert cxone.session.post(cxone.api + "/api-na1" + USERS_PATH, headers=headers).status_code == 405


def test_viewing_users_needs_its_own_permission(control, cxone):
    control.add_tenant(make_tenant(users=[ALICE]))          # the key may record on demand, nothing else
    token = cxone.login()
    for answer in (cxone.users(token), cxone.search_teams(token, {"skip": 0, "top": 100})):
        assert answer.status_code == 403
        assert answer.json() == {"description": "User lacks the permission to view users and teams", "httpStatus": "FORBIDDEN"}
    assert cxone.users(None).status_code == 401
    assert cxone.users("not-a-token").json()["error"] == "invalid_token"


def test_a_key_configured_without_permissions_may_record_and_view_users(control, cxone):
    tenant = make_tenant(agents=["a1"], calls=["a1"], users=[ALICE])
    del tenant["access_keys"][0]["permissions"]
    control.add_tenant(tenant)
    token = cxone.login()
    assert cxone.users(token).status_code == 200
    assert cxone.operation("start", "a1", token).status_code == 200


def test_the_directory_is_built_by_configuration_and_control_calls(control):
    control.add_tenant(make_tenant(teams=[TEAM_BILLING], users=[ALICE]))
    control.set_user(dict(ALICE, status="BLOCKED"))
    control.set_team({"id": "t-sales", "name": "Sales"})
    tenant = control.state()["tenants"][0]
    assert tenant["users"] == [dict(ALICE, status="BLOCKED")]
    assert tenant["teams"] == [TEAM_BILLING, {"id": "t-sales", "name": "Sales", "status": "ACTIVE"}]
    for call, bad in ((control.set_user, {"id": "u-x", "userName": "x", "status": "RETIRED"}),
                      (control.set_user, {"userName": "no id"}),
                      (control.set_user, {"id": "u-x", "userName": "x", "nickname": "X"}),
                      (control.set_team, {"id": "t-x", "name": "X", "status": "DELETED"})):
        with pytest.raises(SandboxError) as refused:
            call(bad)
        assert refused.value.status == 400, bad
    with pytest.raises(SandboxError):
        control.reset({"tenants": [make_tenant(users=[{"id": "u-1"}])]})


def test_faults_latency_rate_limit_log_and_counters(control, cxone, hub):
    control.add_fault("status", status=500, count=1, applies_to="users")
    control.add_fault("status", status=502, count=1)            # an operations rule spares User Hub
    assert cxone.users(hub).status_code == 500
    assert cxone.users(hub).status_code == 200
    assert cxone.search_teams(hub, {"skip": 0, "top": 100}).status_code == 200
    logged = [(entry["origin"], entry["method"], entry["path"], entry["status"], entry["fault"], bool(entry["token_sha256"]))
              for entry in control.requests()["requests"] if entry["origin"] == "api"]
    assert logged == [("api", "GET", "/api-na1" + USERS_PATH, 500, "status", True),
                      ("api", "GET", "/api-na1" + USERS_PATH, 200, None, True),
                      ("api", "POST", "/api-na1" + TEAMS_SEARCH_PATH, 200, None, True)]
    assert control.stats()["user_hub_requests"] == {"users": 2, "teams": 1}
    assert control.set_latency(0, paths=["users"])["ms"]["users"] == 0
    control.settings(rate_limit=1)
    assert [cxone.users(hub).status_code for _attempt in range(2)] == [200, 429]
