# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a user id, a contact id or another identifier may be: the rules every check shares.

For internal use by the cxone.recording collection only; not a public API.

The modules' options, the connection settings, User Hub selectors and the role's plan filter
all check identifiers with these rules, so that a value refused in one place is refused in all.
"""

from __future__ import annotations

MAX_USER_ID_LENGTH = 256
MAX_CONTACT_ID_LENGTH = 256
EXAMPLE_USER_ID = "11111111-2222-3333-4444-555555555555"


def has_control_character(text):
    """True when ``text`` holds a C0 or C1 control character or DEL (a line break, say).

    Such a character in an id or a secret is a copy-and-paste accident, and in a header or a
    query it could split or forge what is sent.
    """
    return any(ord(char) < 32 or 127 <= ord(char) < 160 for char in text)


def same_user_key(user_id):
    """What two spellings of one user id share: CXone's user ids are UUIDs, whose case does not matter."""
    return user_id.casefold()


def user_id_problem(value):
    """Why ``value`` (already stripped) cannot be a CXone user id, in words after its name; None when it can."""
    if not isinstance(value, str):
        return "must be a string (a CXone user id), got %s" % type(value).__name__
    if not value:
        return "is empty; each user id must be a CXone user id such as %s" % EXAMPLE_USER_ID
    if has_control_character(value):
        return "(%r) contains a control character" % value
    if len(value) > MAX_USER_ID_LENGTH:
        return "is %d characters long; user ids have at most %d" % (len(value), MAX_USER_ID_LENGTH)
    return None


def contact_id_problem(value):
    """Why ``value`` (already stripped) cannot be a contact id, in words; None when it can."""
    if not value or len(value) > MAX_CONTACT_ID_LENGTH or has_control_character(value):
        return "must be a non-empty contact id without control characters, at most %d characters" \
            % MAX_CONTACT_ID_LENGTH
    return None
