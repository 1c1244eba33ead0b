# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Finding users in User Hub, against a scripted CXone over HTTP."""

from __future__ import annotations

import json

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._errors import ApiError, SettingsError
from ansible_collections.cxone.recording.plugins.module_utils._users import (
    TEAMS_SEARCH_PATH as TEAMS_SEARCH_API_PATH,
    USER_FIELDS,
    USERS_PATH as USERS_API_PATH,
    check_selectors,
    match_users,
    read_teams,
    read_users,
)

USERS_PATH = "/api" + USERS_API_PATH
TEAMS_SEARCH_PATH = "/api" + TEAMS_SEARCH_API_PATH
BILLING = "11111111-0000-4000-8000-00000000b111"
SUPPORT = "22222222-0000-4000-8000-00000000c222"
TEAMS = {BILLING: "Billing EMEA", SUPPORT: "Support"}


def user(number, name, team=BILLING, status="ACTIVE"):
    return {"id": "u-%d" % number, "userName": name, "firstName": name.title(), "lastName": "Agent",
            "emailAddress": "%s@example.com" % name, "teamId": team, "status": status}


USERS = [user(1, "jdoe"), user(2, "asmith", SUPPORT), user(3, "Bob", BILLING, "INACTIVE"), user(4, "carol", None)]


def selectors(**values):
    checked, statuses = check_selectors(dict({"status": ["ACTIVE"]}, **values))
    return checked, statuses


@pytest.fixture
def session(api_session):
    return api_session


def test_users_are_read_once_with_deleted_ones_only_when_asked(server, session):
    server.default(USERS_PATH, server.answer(200, {"users": USERS + ["not a user"]}))
    assert read_users(session, False) == USERS
    read_users(session, True)
    assert [request["query"] for request in server.to(USERS_PATH)] == [{"includeDeleted": ["false"]},
                                                                       {"includeDeleted": ["true"]}]


def test_teams_are_read_page_by_page(server, session):
    pages = [[{"id": "t-%d" % number, "name": "Team %d" % number} for number in range(start, min(start + 100, 250))]
             for start in (0, 100, 200)]
    server.queue(TEAMS_SEARCH_PATH, *[server.answer(200, {"totalRecords": 250, "teams": page}) for page in pages])
    teams = read_teams(session)
    assert len(teams) == 250 and teams["t-249"] == "Team 249"
    bodies = [json.loads(request["body"]) for request in server.to(TEAMS_SEARCH_PATH)]
    assert bodies == [{"skip": 0, "top": 100}, {"skip": 100, "top": 100}, {"skip": 200, "top": 100}]


def test_an_empty_page_ends_the_search_whatever_the_total_says(server, session):
    server.queue(TEAMS_SEARCH_PATH, server.answer(200, {"totalRecords": 999, "teams": [{"id": "t", "name": "T"}]}),
                 server.answer(200, {"totalRecords": 999, "teams": []}))
    assert read_teams(session) == {"t": "T"}
    assert len(server.to(TEAMS_SEARCH_PATH)) == 2


@pytest.mark.parametrize("answer, problem", [
    ((403, {"message": "Forbidden"}), "list User Hub users failed: HTTP 403: Forbidden (the calling user lacks the "
                                      "User Hub permission to view users or teams)"),
    ((200, {"items": []}), "list User Hub users: the answer has no list of users"),
    ((200, None), "list User Hub users: HTTP 200, but the answer is not a JSON object (empty)"),
])
def test_odd_or_refused_answers_are_explained(server, session, answer, problem):
    status, body = answer
    server.queue(USERS_PATH, server.answer(status, body))
    with pytest.raises(ApiError) as caught:
        read_users(session, False)
    assert caught.value.msg == problem


def test_selectors_match_exactly_ignoring_case_and_each_user_is_returned_once():
    values, statuses = selectors(user_name=["JDOE"], email=["JDoe@Example.com", "asmith@example.com"])
    matched, unmatched = match_users(USERS, TEAMS, values, statuses)
    assert [found["user_id"] for found in matched] == ["u-2", "u-1"]
    assert unmatched == []
    assert tuple(matched[0]) == USER_FIELDS and matched[0]["team_name"] == "Support"


def test_a_team_selects_its_active_users():
    values, statuses = selectors(team=["billing emea"])
    matched, unmatched = match_users(USERS, TEAMS, values, statuses)
    assert [found["user_name"] for found in matched] == ["jdoe"] and unmatched == []


def test_a_value_matching_only_filtered_users_is_unmatched_and_says_why():
    values, statuses = selectors(user_name=["bob", "nobody"], team=["Sales"])
    matched, unmatched = match_users(USERS, TEAMS, values, statuses)
    assert matched == []
    assert unmatched == [{"selector": "user_name", "value": "bob", "statuses": ["INACTIVE"]},
                         {"selector": "user_name", "value": "nobody", "statuses": []},
                         {"selector": "team", "value": "Sales", "statuses": []}]


def test_no_selector_returns_every_user_of_the_statuses_sorted_by_name():
    values, statuses = check_selectors({"status": ["active", "Inactive"]})
    matched, _unmatched = match_users(USERS, TEAMS, values, statuses)
    assert [found["user_name"] for found in matched] == ["asmith", "Bob", "carol", "jdoe"]
    assert matched[2]["team_id"] is None and matched[2]["team_name"] is None


@pytest.mark.parametrize("params, problem", [
    ({"status": ["ACTIVE", "retired"]}, "status: 'retired' is not a User Hub status"),
    ({"status": []}, "status: give at least one of"),
    ({"status": ["ACTIVE"], "email": ["a@example.com", " "]}, "email: item 2 must be a non-empty value"),
    ({"status": ["ACTIVE"], "team": ["x\ny"]}, "team: item 1 must be a non-empty value without control characters"),
])
def test_bad_selectors_are_refused_before_any_request(params, problem):
    with pytest.raises(SettingsError) as caught:
        check_selectors(params)
    assert problem in caught.value.msg


def test_a_large_tenant_resolves_many_selectors():
    users = [user(number, "agent%05d" % number, BILLING if number % 2 else SUPPORT) for number in range(20000)]
    wanted = ["AGENT%05d" % number for number in range(0, 20000, 200)]
    values, statuses = selectors(user_name=wanted)
    matched, unmatched = match_users(users, TEAMS, values, statuses)
    assert len(matched) == 100 and unmatched == []
    assert matched[0]["user_name"] == "agent00000" and matched[-1]["user_name"] == "agent19800"
