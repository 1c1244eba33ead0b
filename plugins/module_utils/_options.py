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

CONCURRENCY_RANGE = (1, 64)
DEFAULT_CONCURRENCY = 8
MAX_USER_ID_LENGTH = 256

USER_ID_OPTION = {"type": "list", "elements": "str", "required": True, "aliases": ["user_ids"]}
CONCURRENCY_OPTION = {"type": "int", "default": DEFAULT_CONCURRENCY}


def normalise_user_ids(values):
    """Stripped, distinct user ids in first-seen order; SettingsError names a bad item."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, (list, tuple)) or not values:
        raise SettingsError("user_id: give one user id or a non-empty list of user ids")
    seen = set()
    user_ids = []
    for number, value in enumerate(values, 1):
        where = "user_id: item %d" % number if len(values) > 1 else "user_id"
        if not isinstance(value, str):
            raise SettingsError("%s must be a string (a CXone user id), got %s" % (where, type(value).__name__))
        user_id = value.strip()
        if not user_id:
            raise SettingsError("%s is empty; each user id must be a CXone user id such as "
                                "11111111-2222-3333-4444-555555555555" % where)
        if any(ord(char) < 32 or 127 <= ord(char) < 160 for char in user_id):
            raise SettingsError("%s (%r) contains a control character" % (where, user_id))
        if len(user_id) > MAX_USER_ID_LENGTH:
            raise SettingsError("%s is %d characters long; user ids have at most %d"
                                % (where, len(user_id), MAX_USER_ID_LENGTH))
        if user_id not in seen:
            seen.add(user_id)
            user_ids.append(user_id)
    return user_ids


def check_concurrency(value):
    """The number of requests in flight at once, from ``CONCURRENCY_RANGE``."""
    low, high = CONCURRENCY_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SettingsError("concurrency: must be a whole number from %d to %d, got %r" % (low, high, value))
    return value
