# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``cxone_recording_info`` and ``cxone_user_info`` run in-process against the CXone sandbox.

Each module's ``main()`` runs here as a task would run it (``run_module``), in direct mode
against an in-process sandbox (tests/sandbox): a tenant with agents on calls, a User Hub
directory, access keys with and without permissions. Nothing inside the code under test is
replaced; each test reads the JSON the module printed and what the sandbox received.
"""

from __future__ import annotations

import pytest

from cxone_sandbox import SandboxServer

from ansible_collections.cxone.recording.plugins.modules import (
    cxone_do_not_record,
    cxone_recording_info,
    cxone_recording_start,
    cxone_recording_stop,
    cxone_user_info,
)

TENANT = "aaaaaaaa-0000-4000-8000-0000000000c1"
CLIENT_ID = "unit-client"
CLIENT_SECRET = "UNIT-CLIENT-SECRET=&+q"
KEY_ID = "UNITKEY"
KEY_SECRET = "UNIT-KEY-SECRET%=&+w"
API_USER = "99999999-0000-4000-8000-0000000000c1"
RECORDER_ONLY_KEY = "UNITRECORDONLY"
VIEWER_ONLY_KEY = "UNITVIEWONLY"

POLICY, ON_DEMAND, STOPPED, REFUSED, UNRECORDED, IDLE = AGENTS = [
    "1f0e%04d-0000-4000-8000-%012d" % (number, number) for number in range(6)]
UNKNOWN = "1f0e9999-0000-4000-8000-000000009999"
STATUS_FIELDS = ("contact_id", "recording_status_to_agent", "recording_status_from_agent", "status_reason")

BILLING = "7ea70000-0000-4000-8000-00000000b111"
SALES = "7ea70000-0000-4000-8000-00000000c222"
ALICE, BOB, CAROL, IVAN, DORA, EVE = ["05e2%04d-0000-4000-8000-%012d" % (number, number) for number in range(6)]
# More teams than one page of the teams search (100): Billing is on the second page.
TEAMS = [{"id": "7ea70000-0000-4000-8000-%012d" % number, "name": "Team %03d" % number, "status": "ACTIVE"}
         for number in range(130)]
TEAMS[120] = {"id": BILLING, "name": "Billing EMEA", "status": "ACTIVE"}
TEAMS[3] = {"id": SALES, "name": "Sales", "status": "ACTIVE"}
USERS = [
    {"id": ALICE, "userName": "alice@example.test", "firstName": "Alice", "lastName": "Anders",
     "emailAddress": "Alice.Anders@Example.test", "teamId": BILLING, "status": "ACTIVE"},
    {"id": BOB, "userName": "bob@example.test", "emailAddress": "bob@example.test", "teamId": BILLING,
     "status": "ACTIVE"},
    {"id": CAROL, "userName": "carol@example.test", "teamId": SALES, "status": "ACTIVE"},
    {"id": IVAN, "userName": "ivan@example.test", "teamId": BILLING, "status": "INACTIVE"},
    {"id": DORA, "userName": "dora@example.test", "teamId": BILLING, "status": "DELETED"},
    {"id": EVE, "userName": "eve@example.test", "status": "ACTIVE"},
]


@pytest.fixture(scope="module")
def sandbox_server():
    """One in-process sandbox for this file's tests (reset by ``sandbox`` before each)."""
    with SandboxServer() as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server):
    """The sandbox's control client on a tenant: agents (three on calls without recording, one recorded by
    the policy, one idle), the User Hub directory above, and keys that may only record or only view users."""
    control = sandbox_server.client()
    control.reset({"tenants": [{
        "tenant_id": TENANT, "area": "na1", "clients": {CLIENT_ID: CLIENT_SECRET},
        "access_keys": [
            {"id": KEY_ID, "secret": KEY_SECRET, "user_id": API_USER, "permissions": ["record_on_demand", "view_users"]},
            {"id": RECORDER_ONLY_KEY, "secret": KEY_SECRET, "user_id": API_USER, "permissions": ["record_on_demand"]},
            {"id": VIEWER_ONLY_KEY, "secret": KEY_SECRET, "user_id": API_USER, "permissions": ["view_users"]}],
        "agents": [{"user_id": agent, "name": "Agent %d" % number} for number, agent in enumerate(AGENTS)],
        "calls": [{"user_id": agent} for agent in (ON_DEMAND, STOPPED, REFUSED, UNRECORDED)],
        "users": USERS, "teams": TEAMS,
    }]})
    control.settings(recording_policy="voice")
    control.start_call(POLICY)
    control.settings(recording_policy="off")
    return control


def login(sandbox, **overrides):
    """Direct-mode options logging in to the sandbox's tenant with the full key."""
    values = {"issuer": sandbox.url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
              "access_key_id": KEY_ID, "access_key_secret": KEY_SECRET, "retries": 0}
    values.update(overrides)
    return values


def logged(sandbox):
    return sandbox.requests()["requests"]


def status_reads(sandbox):
    return [entry for entry in logged(sandbox) if entry["operation"] == "status"]


def recording_operations(sandbox):
    return [entry for entry in logged(sandbox) if entry["operation"] and entry["operation"] != "status"]


def hub_requests(sandbox):
    return [entry for entry in logged(sandbox) if "/user-management/" in entry["path"]]


# -- cxone_recording_info ---------------------------------------------------------------------------

@pytest.fixture
def recorded(sandbox, run_module):
    """The tenant after a start (ON_DEMAND, STOPPED), a stop (STOPPED) and a do-not-record (REFUSED), each a task."""
    for module, user_ids in ((cxone_recording_start, [ON_DEMAND, STOPPED]), (cxone_recording_stop, [STOPPED]),
                             (cxone_do_not_record, [REFUSED])):
        assert run_module(module, login(sandbox, user_ids=user_ids)).exit_code == 0
    return sandbox


def test_recording_info_reports_each_agents_status_in_input_order_and_changes_nothing(run_module, recorded):
    every_agent = AGENTS + [UNKNOWN]
    sent_before = len(recording_operations(recorded))
    run = run_module(cxone_recording_info, login(recorded, user_id=every_agent, concurrency=3))
    result = run.result
    assert run.exit_code == 0 and result["changed"] is False and "failed" not in result
    assert [entry["user_id"] for entry in result["results"]] == every_agent
    contacts = {agent: recorded.agent_state(agent)["contact_id"] for agent in AGENTS}
    by_agent = {entry["user_id"]: entry for entry in result["results"]}
    assert {agent: tuple(by_agent[agent][field] for field in STATUS_FIELDS) for agent in AGENTS} == {
        POLICY: (contacts[POLICY], "Recording", "Recording", "Policy"),
        ON_DEMAND: (contacts[ON_DEMAND], "Recording", "Recording", "RecordOnDemand"),
        STOPPED: (contacts[STOPPED], "Stopped", "Stopped", "StopOnDemand"),
        REFUSED: (contacts[REFUSED], "NoRecording", "NoRecording", "CustomerDisconsent"),
        UNRECORDED: (contacts[UNRECORDED], "NoRecording", "NoRecording", "Policy"),
        IDLE: (None, None, None, None),
    }
    assert [by_agent[agent]["outcome"] for agent in every_agent] == ["found"] * 5 + ["no_active_call"] * 2
    for agent in AGENTS[:5]:
        entry = by_agent[agent]
        assert (entry["http_status"], entry["attempts"], entry["msg"]) == (200, 1, None)
        assert entry["segment_id"] and entry["interaction_id"] and entry["requested_at"] and entry["answered_at"]
    for agent in (IDLE, UNKNOWN):
        assert by_agent[agent]["http_status"] == 404
        assert by_agent[agent]["msg"].startswith("user %s has no active call (HTTP 404" % agent)
    assert result["summary"] == {"found": 5, "no_active_call": 2, "failed": 0, "total": 7}
    assert result["msg"] == "read recording status: 5 found, 2 no_active_call"
    # One read per agent, and nothing else sent: reading changes no recording.
    assert sorted(entry["user_id"] for entry in status_reads(recorded)) == sorted(every_agent)
    assert len(recording_operations(recorded)) == sent_before
    assert [recorded.agent_state(agent)["recording"] for agent in (POLICY, ON_DEMAND, STOPPED)] == [
        "voice", "voice", "off"]


def test_recording_info_reads_for_real_in_check_mode(run_module, sandbox):
    run = run_module(cxone_recording_info, login(sandbox, user_ids=[POLICY, IDLE]), check_mode=True)
    result = run.result
    assert run.exit_code == 0 and result["changed"] is False
    assert [(entry["user_id"], entry["outcome"], entry["recording_status_to_agent"]) for entry in result["results"]] == [
        (POLICY, "found", "Recording"), (IDLE, "no_active_call", None)]
    # The batch reads concurrently: one read per agent, in any order.
    assert sorted(entry["user_id"] for entry in status_reads(sandbox)) == sorted([POLICY, IDLE])


def test_recording_info_of_one_agent_keeps_the_entry_in_results(run_module, sandbox):
    result = run_module(cxone_recording_info, login(sandbox, user_id=" %s " % POLICY)).result
    assert [(entry["user_id"], entry["status_reason"]) for entry in result["results"]] == [(POLICY, "Policy")]
    assert result["summary"]["found"] == 1 and "outcome" not in result and "user_id" not in result


def test_recording_info_without_the_permission_fails_naming_each_agent_and_the_status(run_module, sandbox):
    run = run_module(cxone_recording_info, login(sandbox, user_id=[POLICY, IDLE], access_key_id=VIEWER_ONLY_KEY))
    result = run.result
    assert run.exit_code == 1 and result["failed"] is True and result["changed"] is False
    assert [(entry["user_id"], entry["outcome"], entry["http_status"]) for entry in result["results"]] == [
        (POLICY, "failed", 403), (IDLE, "failed", 403)]
    assert result["summary"] == {"found": 0, "no_active_call": 0, "failed": 2, "total": 2}
    assert result["msg"].startswith("read recording status failed for 2 of 2 users: ")
    assert "HTTP 403" in result["msg"] and "Multi-ACD Record on Demand API permission" in result["msg"]
    assert POLICY in result["msg"] and IDLE in result["msg"]


def test_recording_info_retries_a_503_and_counts_the_attempts(run_module, sandbox):
    sandbox.add_fault("status", status=503, operation="status", user_id=POLICY, count=1, retry_after="0")
    result = run_module(cxone_recording_info, login(sandbox, user_id=[POLICY], retries=1)).result
    entry = result["results"][0]
    assert (entry["outcome"], entry["http_status"], entry["attempts"]) == ("found", 200, 2)


def test_recording_info_with_a_refused_login_fails_every_agent_with_cxones_message(run_module, sandbox):
    run = run_module(cxone_recording_info, login(sandbox, user_id=[POLICY, IDLE], access_key_secret="not-the-secret"))
    result = run.result
    assert run.exit_code == 1 and [entry["outcome"] for entry in result["results"]] == ["failed", "failed"]
    assert "login with access key %s failed: HTTP 400" % KEY_ID in result["msg"]
    assert "(users: %s, %s)" % (POLICY, IDLE) in result["msg"]
    assert "not-the-secret" not in run.printed and KEY_SECRET not in run.printed
    assert status_reads(sandbox) == []


@pytest.mark.parametrize("options, message", [
    ({"user_id": []}, "user_id: give one user id or a non-empty list"),
    ({"user_id": [POLICY, " "]}, "user_id: item 2 is empty"),
    ({"user_id": POLICY, "concurrency": 0}, "concurrency: must be a whole number from 1 to 64, got 0"),
    ({"user_id": POLICY, "media_type": "voice"}, "Unsupported parameters"),
], ids=["no-agents", "blank-id", "concurrency", "unknown-option"])
def test_recording_info_refuses_bad_options_naming_them_before_any_request(run_module, sandbox, options, message):
    run = run_module(cxone_recording_info, login(sandbox, **options))
    assert run.exit_code == 1 and run.result["failed"] is True
    # Ansible's own checks (choices, unknown options) fail before the module sets ``changed``.
    assert not run.result.get("changed")
    assert message in run.result["msg"]
    assert logged(sandbox) == [], "nothing reached CXone"


# -- cxone_user_info --------------------------------------------------------------------------------

def ids(result):
    return [user["user_id"] for user in result["users"]]


def test_user_info_finds_users_by_each_selector_case_insensitively(run_module, sandbox):
    run = run_module(cxone_user_info, login(sandbox, user_name=["ALICE@EXAMPLE.TEST"], email=["  BOB@example.TEST "],
                                            user_id=[CAROL.upper()]))
    result = run.result
    assert run.exit_code == 0 and result["changed"] is False and "failed" not in result
    assert result["users"] == [
        {"user_id": ALICE, "user_name": "alice@example.test", "email": "Alice.Anders@Example.test", "first_name": "Alice",
         "last_name": "Anders", "team_id": BILLING, "team_name": "Billing EMEA", "status": "ACTIVE"},
        {"user_id": BOB, "user_name": "bob@example.test", "email": "bob@example.test", "first_name": None,
         "last_name": None, "team_id": BILLING, "team_name": "Billing EMEA", "status": "ACTIVE"},
        {"user_id": CAROL, "user_name": "carol@example.test", "email": None, "first_name": None,
         "last_name": None, "team_id": SALES, "team_name": "Sales", "status": "ACTIVE"}]
    assert result["user_ids"] == [ALICE, BOB, CAROL] and result["unmatched"] == []
    assert result["msg"] == "found 3 users"
    # The users list once, without deleted users; the teams page by page (130 teams: two pages).
    hub = hub_requests(sandbox)
    assert [(entry["method"], entry["path"].rsplit("/", 1)[-1]) for entry in hub] == [
        ("GET", "users"), ("POST", "search"), ("POST", "search")]
    assert hub[0]["query"] == {"includeDeleted": ["false"]}
    assert recording_operations(sandbox) == []


def test_user_info_by_team_keeps_only_the_statuses_asked_for(run_module, sandbox):
    active = run_module(cxone_user_info, login(sandbox, team=["billing emea"])).result
    assert ids(active) == [ALICE, BOB], "inactive and deleted members are left out"
    any_status = run_module(cxone_user_info, login(sandbox, team=["Billing EMEA"], status=["active", "INACTIVE"])).result
    assert ids(any_status) == [ALICE, BOB, IVAN]
    deleted = run_module(cxone_user_info, login(sandbox, team=["Billing EMEA"], status=["deleted"])).result
    assert ids(deleted) == [DORA]
    assert [entry["query"] for entry in hub_requests(sandbox) if entry["method"] == "GET"] == [
        {"includeDeleted": ["false"]}, {"includeDeleted": ["false"]}, {"includeDeleted": ["true"]}]


def test_user_info_fails_naming_every_unmatched_value_and_why(run_module, sandbox):
    selectors = {"user_name": ["nobody@example.test", "ivan@example.test"], "email": ["ghost@example.test"],
                 "team": ["Night Shift"], "user_id": [ALICE]}
    run = run_module(cxone_user_info, login(sandbox, **selectors))
    result = run.result
    assert run.exit_code == 1 and result["failed"] is True and result["changed"] is False
    assert result["unmatched"] == [{"selector": "user_name", "value": "nobody@example.test"},
                                   {"selector": "user_name", "value": "ivan@example.test"},
                                   {"selector": "email", "value": "ghost@example.test"},
                                   {"selector": "team", "value": "Night Shift"}]
    assert ids(result) == [ALICE], "what did match is still returned"
    assert result["msg"] == (
        "4 selector values matched no user of status ACTIVE: user_name 'nobody@example.test'; "
        "user_name 'ivan@example.test' (matches only users with status INACTIVE); email 'ghost@example.test'; "
        "team 'Night Shift'")


def test_user_info_with_unmatched_skip_lists_them_and_succeeds(run_module, sandbox):
    run = run_module(cxone_user_info, login(sandbox, user_name=["nobody@example.test"], user_id=[ALICE],
                                            unmatched="skip"))
    result = run.result
    assert run.exit_code == 0 and "failed" not in result
    assert ids(result) == [ALICE]
    assert result["unmatched"] == [{"selector": "user_name", "value": "nobody@example.test"}]
    assert result["msg"] == "found 1 user; no user for user_name 'nobody@example.test'"


def test_user_info_without_selectors_lists_every_active_user_in_check_mode_too(run_module, sandbox):
    run = run_module(cxone_user_info, login(sandbox), check_mode=True)
    result = run.result
    assert run.exit_code == 0 and result["changed"] is False
    assert ids(result) == [ALICE, BOB, CAROL, EVE], "sorted by user name"
    assert (result["users"][-1]["team_id"], result["users"][-1]["team_name"]) == (None, None)
    assert len(hub_requests(sandbox)) == 3, "read for real in check mode"


def test_user_info_without_the_permission_fails_with_the_http_status_and_what_is_missing(run_module, sandbox):
    run = run_module(cxone_user_info, login(sandbox, email=["bob@example.test"], access_key_id=RECORDER_ONLY_KEY))
    result = run.result
    assert run.exit_code == 1 and result["failed"] is True and result["changed"] is False
    assert (result["users"], result["user_ids"], result["unmatched"]) == ([], [], [])
    assert result["msg"].startswith("list User Hub users failed: HTTP 403")
    assert "view users" in result["msg"]


def test_user_info_with_a_refused_login_fails_with_cxones_message(run_module, sandbox):
    run = run_module(cxone_user_info, login(sandbox, user_id=[ALICE], client_secret="not-the-client-secret"))
    result = run.result
    assert run.exit_code == 1 and result["failed"] is True
    assert "HTTP 401" in result["msg"] and "check the client id and secret" in result["msg"]
    assert "not-the-client-secret" not in run.printed and CLIENT_SECRET not in run.printed
    assert hub_requests(sandbox) == []


@pytest.mark.parametrize("options, message", [
    ({"status": ["retired"]}, "status: 'retired' is not a User Hub status"),
    ({"status": []}, "status: give at least one of ACTIVE, INACTIVE"),
    ({"user_name": [""]}, "user_name: item 1 must be a non-empty value"),
    ({"email": ["a@example.test", "  "]}, "email: item 2 must be a non-empty value"),
    ({"team": ["Night\tShift"]}, "team: item 1 must be a non-empty value without control characters"),
    ({"user_id": [" "]}, "user_id: item 1 must be a non-empty value"),
    ({"unmatched": "ignore"}, "unmatched must be one of: fail, skip"),
    ({"concurrency": 4}, "Unsupported parameters"),
], ids=["status", "no-status", "user-name", "email", "team", "user-id", "unmatched", "unknown-option"])
def test_user_info_refuses_bad_options_naming_them_before_any_request(run_module, sandbox, options, message):
    run = run_module(cxone_user_info, login(sandbox, **options))
    assert run.exit_code == 1 and run.result["failed"] is True
    # Ansible's own checks (choices, unknown options) fail before the module sets ``changed``.
    assert not run.result.get("changed")
    assert message in run.result["msg"], run.result["msg"]
    assert logged(sandbox) == [], "nothing reached CXone"
