# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Finding agents in CXone's User Hub by login name, e-mail, team or user id.

For internal use by the cxone.recording collection only; not a public API.

An operator knows agents by name, the recording operations want user ids. User Hub answers the
tenant's whole user list in one ``GET /user-management/v1/users``, and teams through a paged
``POST /user-management/v4/teams/search``. Both are read once per task; selectors are matched
against indexes built once, so that 100 selectors over 20,000 users stay linear. Matching is
exact and case-insensitive (``str.casefold``).
"""

from __future__ import annotations

from types import MappingProxyType

from ansible_collections.cxone.recording.plugins.module_utils._errors import (
    ApiError,
    CxoneError,
    SettingsError,
    describe_failure,
)
from ansible_collections.cxone.recording.plugins.module_utils._session import hide_url_credentials, open_session
from ansible_collections.cxone.recording.plugins.module_utils._settings import connection_argument_spec

USERS_PATH = "/user-management/v1/users"
TEAMS_SEARCH_PATH = "/user-management/v4/teams/search"
TEAMS_PAGE_SIZE = 100
# A tenant with more teams than this many pages is not plausible: a guard against an answer whose
# totalRecords never stops growing.
TEAMS_MAX_PAGES = 1000

STATUSES = ("ACTIVE", "INACTIVE", "PENDING", "UNREGISTERED", "BLOCKED", "DELETED")
# Selector option -> the user's field it matches ("team" matches the team's name).
SELECTORS = (("user_name", "userName"), ("email", "emailAddress"), ("team", None), ("user_id", "id"))
USER_FIELDS = ("user_id", "user_name", "email", "first_name", "last_name", "team_id", "team_name", "status")

USER_HINTS = MappingProxyType({
    401: "check the access key and the client credentials, or that the access token is still valid",
    403: "the calling user lacks the User Hub permission to view users or teams",
})


def argument_spec():
    """The options of ``cxone_user_info``: selectors, filters and the connection settings."""
    spec = {name: {"type": "list", "elements": "str"} for name, _field in SELECTORS}
    spec["status"] = {"type": "list", "elements": "str", "default": ["ACTIVE"]}
    spec["unmatched"] = {"type": "str", "default": "fail", "choices": ["fail", "skip"]}
    spec.update(connection_argument_spec())
    return spec


def _check_values(name, values):
    """Stripped selector values in order, without repeats; SettingsError names a bad one."""
    if values is None:
        return []
    checked = []
    seen = set()
    for number, value in enumerate(values, 1):
        text = value.strip() if isinstance(value, str) else ""
        if not text or any(ord(char) < 32 or 127 <= ord(char) < 160 for char in text):
            raise SettingsError("%s: item %d must be a non-empty value without control characters" % (name, number))
        if text.casefold() not in seen:
            seen.add(text.casefold())
            checked.append(text)
    return checked


def check_selectors(params):
    """``({selector: [values]}, statuses)`` from the module's parameters, checked before any request."""
    selectors = {name: _check_values(name, params.get(name)) for name, _field in SELECTORS}
    statuses = []
    for value in _check_values("status", params.get("status") or []):
        status = value.upper()
        if status not in STATUSES:
            raise SettingsError("status: %r is not a User Hub status; use %s" % (value, ", ".join(STATUSES)))
        statuses.append(status)
    if not statuses:
        raise SettingsError("status: give at least one of %s" % ", ".join(STATUSES))
    return selectors, statuses


def _read(session, method, path, what, params=None, json=None):
    answer = session.client.request(method, path, what, params=params, json=json)
    if not answer.ok:
        raise ApiError("%s failed: %s" % (what, describe_failure(answer.status, answer.message, USER_HINTS)),
                       answer.status)
    if not isinstance(answer.body, dict):
        raise ApiError("%s: HTTP %s, but the answer is not a JSON object (%s)"
                       % (what, answer.status, answer.message or "empty"), answer.status)
    return answer.body


def read_users(session, include_deleted):
    """Every user of the tenant, as User Hub answers them (dicts only)."""
    body = _read(session, "GET", USERS_PATH, "list User Hub users",
                 params={"includeDeleted": "true" if include_deleted else "false"})
    users = body.get("users")
    if not isinstance(users, list):
        raise ApiError("list User Hub users: the answer has no list of users", 200)
    return [user for user in users if isinstance(user, dict)]


def read_teams(session):
    """``{team id: team name}`` of every team, read page by page."""
    teams = {}
    skip = 0
    for _page in range(TEAMS_MAX_PAGES):
        body = _read(session, "POST", TEAMS_SEARCH_PATH, "search User Hub teams",
                     json={"skip": skip, "top": TEAMS_PAGE_SIZE})
        page = [team for team in body.get("teams") or [] if isinstance(team, dict)]
        for team in page:
            if isinstance(team.get("id"), str) and isinstance(team.get("name"), str):
                teams[team["id"]] = team["name"]
        skip += len(page)
        total = body.get("totalRecords")
        if not page or not isinstance(total, int) or isinstance(total, bool) or skip >= total:
            return teams
    return teams


def _text(user, key):
    value = user.get(key)
    return value if isinstance(value, str) and value else None


def describe_user(user, teams):
    """A user as the module returns it (``USER_FIELDS``)."""
    team_id = _text(user, "teamId")
    return {
        "user_id": _text(user, "id"),
        "user_name": _text(user, "userName"),
        "email": _text(user, "emailAddress"),
        "first_name": _text(user, "firstName"),
        "last_name": _text(user, "lastName"),
        "team_id": team_id,
        "team_name": teams.get(team_id) if team_id else None,
        "status": (_text(user, "status") or "").upper() or None,
    }


def match_users(users, teams, selectors, statuses):
    """``(matched users, unmatched selector values)``; with no selector value, every user of ``statuses``.

    Users are described by ``describe_user``, sorted by user name; an unmatched value is
    ``{"selector", "value"}`` (plus ``"statuses"``, the statuses of the users it matched outside
    the filter, for the message).
    """
    described = [describe_user(user, teams) for user in users]
    described = [user for user in described if user["user_id"]]
    wanted = set(statuses)
    if not any(selectors.values()):
        chosen = [user for user in described if user["status"] in wanted]
        return _sorted(chosen), []
    team_ids_by_name = {}
    for team_id, name in teams.items():
        team_ids_by_name.setdefault(name.casefold(), set()).add(team_id)
    index = {name: {} for name, _field in SELECTORS}
    for user in described:
        for name, value in (("user_name", user["user_name"]), ("email", user["email"]),
                            ("user_id", user["user_id"]), ("team", user["team_id"])):
            if value:
                index[name].setdefault(value.casefold() if name != "team" else value, []).append(user)
    chosen = {}
    unmatched = []
    for name, _field in SELECTORS:
        for value in selectors[name]:
            if name == "team":
                found = [user for team_id in team_ids_by_name.get(value.casefold(), ())
                         for user in index["team"].get(team_id, ())]
            else:
                found = index[name].get(value.casefold(), [])
            kept = [user for user in found if user["status"] in wanted]
            if not kept:
                unmatched.append({"selector": name, "value": value,
                                  "statuses": sorted({user["status"] or "none" for user in found})})
            for user in kept:
                chosen[user["user_id"]] = user
    return _sorted(chosen.values()), unmatched


def _sorted(users):
    return sorted(users, key=lambda user: ((user["user_name"] or "").casefold(), user["user_id"]))


def _unmatched_words(unmatched):
    words = []
    for item in unmatched:
        text = "%s %r" % (item["selector"], item["value"])
        if item["statuses"]:
            text += " (matches only users with status %s)" % ", ".join(item["statuses"])
        words.append(text)
    return "; ".join(words)


def run_task(module):
    """Find the users the selectors name: the module's result. Reads for real in check mode too."""
    hide_url_credentials(module)
    try:
        selectors, statuses = check_selectors(module.params)
        with open_session(module, 1) as session:
            users = read_users(session, "DELETED" in statuses)
            needs_teams = bool(selectors["team"]) or any(isinstance(user.get("teamId"), str) for user in users)
            teams = read_teams(session) if needs_teams else {}
    except CxoneError as exc:
        return dict(exc.to_fail_json(), failed=True, changed=False, users=[], user_ids=[], unmatched=[])
    matched, unmatched = match_users(users, teams, selectors, statuses)
    result = {
        "changed": False,
        "users": matched,
        "user_ids": [user["user_id"] for user in matched],
        "unmatched": [{"selector": item["selector"], "value": item["value"]} for item in unmatched],
    }
    if unmatched and module.params["unmatched"] == "fail":
        result["failed"] = True
        result["msg"] = "%d selector %s no user of status %s: %s" % (
            len(unmatched), "value matched" if len(unmatched) == 1 else "values matched", ", ".join(statuses),
            _unmatched_words(unmatched))
    else:
        result["msg"] = "found %d %s%s" % (
            len(matched), "user" if len(matched) == 1 else "users", "; no user for %s" % _unmatched_words(unmatched) if unmatched else "")
    return result
