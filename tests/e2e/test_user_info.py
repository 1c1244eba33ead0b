# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``cxone_user_info`` against the sandbox's User Hub, over ``connection: local`` and the ``cxone_api`` connection."""

from __future__ import annotations

import pytest

from e2e_helpers import (  # pylint: disable=import-error
    ACCESS_KEY_SECRET,
    API_USER,
    CONNECTION_MODES,
    agent_ids,
    hub_user,
    make_tenant,
    operation_requests,
    plays_in_mode,
    user_hub_requests,
)

pytestmark = pytest.mark.e2e

ALICE, BOB, CAROL, IVAN, DORA, EVE = agent_ids(6, prefix="05e2")
RECORDER_ONLY_KEY = "E2ERECORDONLY"
# More teams than one page of the teams search (100): the agents' team is on the second page.
TEAMS = [{"id": "7ea70000-0000-4000-8000-%012d" % number, "name": "Team %03d" % number} for number in range(130)]
BILLING = dict(TEAMS[125], name="Billing EMEA")
SALES = dict(TEAMS[3], name="Sales")
TEAMS[125], TEAMS[3] = BILLING, SALES
USERS = [
    hub_user(ALICE, "alice@example.test", BILLING["id"], email="Alice.Anders@Example.test", first_name="Alice",
             last_name="Anders"),
    hub_user(BOB, "bob@example.test", BILLING["id"], email="bob@example.test"),
    hub_user(CAROL, "carol@example.test", SALES["id"]),
    hub_user(IVAN, "ivan@example.test", BILLING["id"], status="INACTIVE"),
    hub_user(DORA, "dora@example.test", BILLING["id"], status="DELETED"),
    hub_user(EVE, "eve@example.test"),
]


@pytest.fixture
def tenant(sandbox):
    """The directory above; Alice, Bob and Carol are agents on calls; a second key that may only record."""
    sandbox.add_tenant(make_tenant(agents=[ALICE, BOB, CAROL], calls=[ALICE, BOB, CAROL], users=USERS, teams=TEAMS))
    sandbox.set_access_key(RECORDER_ONLY_KEY, ACCESS_KEY_SECRET, API_USER, permissions=["record_on_demand"])
    return sandbox


def find(name, ignore_errors=False, check_mode=False, **selectors):
    step = {"name": name, "cxone.recording.cxone_user_info": selectors, "register": name.replace(" ", "_")}
    if ignore_errors:
        step["ignore_errors"] = True
    if check_mode:
        step["check_mode"] = True
    return step


def ids(result):
    return [user["user_id"] for user in result["users"]]


@pytest.mark.parametrize("mode", CONNECTION_MODES)
def test_selectors_statuses_unmatched_values_and_feeding_a_recording_task(ansible, tenant, mode):
    unmatched_selectors = {"user_name": ["nobody@example.test"], "email": ["ghost@example.test"],
                           "team": ["Night Shift"], "user_id": [ALICE]}
    tasks = [
        find("by name and email", user_name=["ALICE@EXAMPLE.TEST"], email=["  BOB@example.TEST "]),
        find("by team", team=["billing emea"]),
        find("by team any status", team=["Billing EMEA"], status=["active", "INACTIVE"]),
        find("by user id", user_id=[CAROL.upper()]),
        find("inactive by name", ignore_errors=True, user_name=["ivan@example.test"]),
        find("inactive by name any status", user_name=["ivan@example.test"], status=["ACTIVE", "INACTIVE"]),
        find("unmatched fail", ignore_errors=True, **unmatched_selectors),
        find("unmatched skip", unmatched="skip", **unmatched_selectors),
        find("everyone", check_mode=True),
        {"name": "record the team", "cxone.recording.cxone_recording_start": {"user_ids": "{{ by_team.user_ids }}"},
         "register": "recorded"},
    ]
    forbidden = [find("without permission", ignore_errors=True, email=["bob@example.test"])]
    playbook, inventory = plays_in_mode(ansible, mode, [(None, tasks), (RECORDER_ONLY_KEY, forbidden)])
    run = ansible.run(playbook, inventory=inventory)
    assert run.rc == 0, run.output

    both = run.result("by name and email")
    assert both["changed"] is False and both["unmatched"] == []
    assert both["users"] == [
        {"user_id": ALICE, "user_name": "alice@example.test", "email": "Alice.Anders@Example.test", "first_name": "Alice",
         "last_name": "Anders", "team_id": BILLING["id"], "team_name": "Billing EMEA", "status": "ACTIVE"},
        {"user_id": BOB, "user_name": "bob@example.test", "email": "bob@example.test", "first_name": None,
         "last_name": None, "team_id": BILLING["id"], "team_name": "Billing EMEA", "status": "ACTIVE"}]
    assert both["user_ids"] == [ALICE, BOB]
    assert ids(run.result("by team")) == [ALICE, BOB], "inactive and deleted members are left out"
    assert ids(run.result("by team any status")) == [ALICE, BOB, IVAN]
    assert ids(run.result("by user id")) == [CAROL] and run.result("by user id")["users"][0]["team_name"] == "Sales"

    inactive = run.result("inactive by name")
    assert inactive["failed"] is True and inactive["users"] == []
    assert "ivan@example.test" in inactive["msg"] and "INACTIVE" in inactive["msg"]
    assert inactive["unmatched"] == [{"selector": "user_name", "value": "ivan@example.test"}]
    assert ids(run.result("inactive by name any status")) == [IVAN]

    failing = run.result("unmatched fail")
    expected_unmatched = [{"selector": "user_name", "value": "nobody@example.test"},
                          {"selector": "email", "value": "ghost@example.test"},
                          {"selector": "team", "value": "Night Shift"}]
    assert failing["failed"] is True and failing["unmatched"] == expected_unmatched
    for value in ("nobody@example.test", "ghost@example.test", "Night Shift"):
        assert value in failing["msg"], failing["msg"]
    skipping = run.result("unmatched skip")
    assert skipping["failed"] is False and skipping["unmatched"] == expected_unmatched
    assert ids(skipping) == [ALICE]

    everyone = run.result("everyone")
    assert everyone["changed"] is False
    assert ids(everyone) == [ALICE, BOB, CAROL, EVE], "every active user, sorted by user name, read in check mode too"
    assert everyone["users"][-1]["team_id"] is None and everyone["users"][-1]["team_name"] is None

    assert [entry["outcome"] for entry in run.result("record the team")["results"]] == ["completed", "completed"]
    assert sorted(entry["user_id"] for entry in operation_requests(tenant, "start")) == sorted([ALICE, BOB])
    assert [tenant.agent_state(agent)["recording"] for agent in (ALICE, BOB, CAROL)] == ["voice", "voice", "off"]

    refused = run.result("without permission")
    assert refused["failed"] is True and refused["users"] == [] and refused["user_ids"] == []
    assert "403" in refused["msg"] and "view users" in refused["msg"]

    hub = user_hub_requests(tenant)
    assert {entry["origin"] for entry in hub} == {"api"}
    assert all(entry["query"] == {"includeDeleted": ["false"]} for entry in hub if entry["method"] == "GET")
    searches = [entry for entry in hub if entry["path"].endswith("/teams/search") and entry["status"] == 200]
    assert len(searches) == 2 * 9, "two pages of teams for each of the nine successful reads"
