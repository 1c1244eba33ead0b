#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cxone_user_info
short_description: Find CXone agents' user ids by login name, e-mail or team
version_added: 1.0.0
description:
  - Finds users in CXone's User Hub by login name, e-mail address, team name or user id, and
    returns their user ids ready for the recording modules.
  - The tenant's user list is read once per task, and its teams page by page; matching is exact
    and case-insensitive.
  - Users are filtered by O(status), active users only by default.
  - It only reads. It runs for real in check mode and never reports a change.
author:
  - cxone.recording contributors (@cxone-recording)
options:
  user_name:
    description:
      - Login names (C(userName)) of the users to find.
    type: list
    elements: str
  email:
    description:
      - E-mail addresses (C(emailAddress)) of the users to find.
    type: list
    elements: str
  team:
    description:
      - Names of teams whose users to find.
    type: list
    elements: str
  user_id:
    description:
      - User ids to find, for example to check that they exist and are active.
    type: list
    elements: str
  status:
    description:
      - Only users with one of these User Hub statuses are returned or matched
        (C(ACTIVE), C(INACTIVE), C(PENDING), C(UNREGISTERED), C(BLOCKED), C(DELETED); any case).
    type: list
    elements: str
    default: [ACTIVE]
  unmatched:
    description:
      - What a selector value that matches no user of O(status) means for the task.
      - V(fail) fails the task, naming every such value; V(skip) only lists them in RV(unmatched).
    type: str
    choices: [fail, skip]
    default: fail
extends_documentation_fragment:
  - cxone.recording.batch.action_group
  - cxone.recording.batch.read_only
  - cxone.recording.connection
notes:
  - With no selector, every user of O(status) is returned.
  - Users matched by several selectors are returned once.
  - The calling CXone user needs the User Hub permission to view users and teams; without it
    CXone answers HTTP 403.
requirements:
  - requests (on the Ansible controller)
seealso:
  - module: cxone.recording.cxone_recording_info
  - module: cxone.recording.cxone_recording_stop
"""

EXAMPLES = r"""
- name: Find the agents of a team and one more by e-mail
  cxone.recording.cxone_user_info:
    team: [Billing EMEA]
    email: [jane.doe@example.com]
  register: agents

- name: Stop recording for them
  cxone.recording.cxone_recording_stop:
    user_ids: "{{ agents.user_ids }}"
    no_active_call: skip

- name: Resolve login names, ignoring the ones that are not active users
  cxone.recording.cxone_user_info:
    user_name: [jdoe, asmith]
    unmatched: skip
  register: found
"""

RETURN = r"""
users:
  description: The users found, sorted by user name.
  returned: always
  type: list
  elements: dict
  contains:
    user_id:
      description: The user's id, for the recording modules' O(cxone.recording.cxone_recording_stop#module:user_id).
      type: str
      sample: 3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
    user_name:
      description: The login name.
      type: str
      sample: jdoe
    email:
      description: The e-mail address.
      type: str
      sample: jane.doe@example.com
    first_name:
      description: The first name.
      type: str
      sample: Jane
    last_name:
      description: The last name.
      type: str
      sample: Doe
    team_id:
      description: The id of the user's team.
      type: str
      sample: 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d
    team_name:
      description: The name of the user's team.
      type: str
      sample: Billing EMEA
    status:
      description: The User Hub status.
      type: str
      sample: ACTIVE
user_ids:
  description: The ids of RV(users), in the same order.
  returned: always
  type: list
  elements: str
  sample: [3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d]
unmatched:
  description: The selector values that matched no user of O(status).
  returned: always
  type: list
  elements: dict
  sample: [{selector: user_name, value: asmith}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cxone.recording.plugins.module_utils._errors import CxoneError, counted
from ansible_collections.cxone.recording.plugins.module_utils._session import hide_url_credentials, open_session
from ansible_collections.cxone.recording.plugins.module_utils._settings import connection_argument_spec
from ansible_collections.cxone.recording.plugins.module_utils._users import (
    SELECTORS,
    check_selectors,
    match_users,
    read_teams,
    read_users,
)


def _unmatched_words(unmatched):
    words = []
    for item in unmatched:
        text = "%s %r" % (item["selector"], item["value"])
        if item["statuses"]:
            text += " (matches only users with status %s)" % ", ".join(item["statuses"])
        words.append(text)
    return "; ".join(words)


def main():
    spec = {name: {"type": "list", "elements": "str"} for name, _field in SELECTORS}
    spec["status"] = {"type": "list", "elements": "str", "default": ["ACTIVE"]}
    spec["unmatched"] = {"type": "str", "default": "fail", "choices": ["fail", "skip"]}
    spec.update(connection_argument_spec())
    # Reads for real in check mode too: it changes nothing.
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    hide_url_credentials(module)
    try:
        selectors, statuses = check_selectors(module.params)
        with open_session(module, 1) as session:
            users = read_users(session, "DELETED" in statuses)
            needs_teams = bool(selectors["team"]) or any(isinstance(user.get("teamId"), str) for user in users)
            teams = read_teams(session) if needs_teams else {}
    except CxoneError as exc:
        module.fail_json(**dict(exc.to_fail_json(), changed=False, users=[], user_ids=[], unmatched=[]))
    matched, unmatched = match_users(users, teams, selectors, statuses)
    result = {
        "changed": False,
        "users": matched,
        "user_ids": [user["user_id"] for user in matched],
        "unmatched": [{"selector": item["selector"], "value": item["value"]} for item in unmatched],
    }
    if unmatched and module.params["unmatched"] == "fail":
        module.fail_json(msg="%s matched no user of status %s: %s" % (
            counted(len(unmatched), "selector value"), ", ".join(statuses), _unmatched_words(unmatched)), **result)
    result["msg"] = "found %s%s" % (counted(len(matched), "user"),
                                    "; no user for %s" % _unmatched_words(unmatched) if unmatched else "")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
