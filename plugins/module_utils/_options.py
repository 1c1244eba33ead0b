# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The modules' own options (which agents, how many at once) and their checks.

For internal use by the cxone.recording collection only; not a public API.

Every check runs before any request and names the option and the problem. The connection
settings' options come from ``_settings.py``.
"""

from __future__ import annotations

from ansible_collections.cxone.recording.plugins.module_utils._errors import SettingsError
from ansible_collections.cxone.recording.plugins.module_utils._identifiers import (
    contact_id_problem,
    same_user_key,
    user_id_problem,
)
from ansible_collections.cxone.recording.plugins.module_utils._settings import check_range

CONCURRENCY_RANGE = (1, 64)
DEFAULT_CONCURRENCY = 8
WAIT_TIMEOUT_RANGE = (1, 600)

# Required, but checked by normalise_user_ids after AnsibleModule's validation: AnsibleModule reports
# only its first error, and a missing required option comes before an unknown one (a misspelled user_ids).
USER_ID_OPTION = {"type": "list", "elements": "str", "aliases": ["user_ids"]}
CONCURRENCY_OPTION = {"type": "int", "default": DEFAULT_CONCURRENCY}
ADAPTIVE_CONCURRENCY_OPTION = {"type": "bool", "default": True}
WAIT_OPTIONS = {"wait": {"type": "bool", "default": False}, "wait_timeout": {"type": "int", "default": 30}}
EXPECTED_CONTACTS_OPTION = {"type": "dict"}
ONLY_WHEN_NEEDED_OPTION = {"type": "bool", "default": False}


def normalise_user_ids(values):
    """Stripped, distinct user ids in first-seen order and spelling; SettingsError names a bad item.

    Ids that differ only in case are one agent (see ``same_user_key``): the first spelling is sent.
    """
    if values is None:
        raise SettingsError("missing required arguments: user_id")
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, (list, tuple)) or not values:
        raise SettingsError("user_id: give one user id or a non-empty list of user ids")
    seen = set()
    user_ids = []
    for number, value in enumerate(values, 1):
        where = "user_id: item %d" % number if len(values) > 1 else "user_id"
        user_id = value.strip() if isinstance(value, str) else value
        problem = user_id_problem(user_id)
        if problem:
            raise SettingsError("%s %s" % (where, problem))
        if same_user_key(user_id) not in seen:
            seen.add(same_user_key(user_id))
            user_ids.append(user_id)
    return user_ids


def check_concurrency(value):
    """The number of requests in flight at once, from ``CONCURRENCY_RANGE``."""
    return check_range("concurrency", value, CONCURRENCY_RANGE)


def check_wait_timeout(value):
    """Seconds to wait for an agent's status to confirm an operation, from ``WAIT_TIMEOUT_RANGE``."""
    return check_range("wait_timeout", value, WAIT_TIMEOUT_RANGE)


def check_expected_contacts(value, user_ids):
    """``{user id: contact id}`` as strings, for agents of ``user_ids`` only; {} when not given.

    Keys match ``user_ids`` whatever their case, and come back spelled as in ``user_ids``.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SettingsError("expected_contacts: must be a mapping of user id to contact id, got %s"
                            % type(value).__name__)
    known = {same_user_key(user_id): user_id for user_id in user_ids}
    expected = {}
    for raw_user_id, raw_contact_id in value.items():
        given = str(raw_user_id).strip()
        user_id = known.get(same_user_key(given))
        if user_id is None:
            raise SettingsError("expected_contacts: user %r is not one of the agents in user_id" % given)
        if user_id in expected:
            raise SettingsError("expected_contacts: user %s is named twice (user ids are compared without regard "
                                "to case)" % given)
        if isinstance(raw_contact_id, bool) or not isinstance(raw_contact_id, (str, int)):
            raise SettingsError("expected_contacts: the contact id of user %s must be a string, got %s"
                                % (user_id, type(raw_contact_id).__name__))
        contact_id = str(raw_contact_id).strip()
        problem = contact_id_problem(contact_id)
        if problem:
            raise SettingsError("expected_contacts: the contact id of user %s %s" % (user_id, problem))
        expected[user_id] = contact_id
    return expected
