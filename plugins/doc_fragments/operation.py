# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Documentation of what the modules that change recording share: no active call, confirmation, check mode.

``EXPECTED_CONTACTS`` adds the contact guard of the stop and do-not-record modules
(``cxone.recording.operation.expected_contacts``).
"""

from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods

    DOCUMENTATION = r"""
options:
  no_active_call:
    description:
      - What CXone's HTTP 404 (the agent has no active call) means for the task.
      - V(fail) makes the agent's outcome C(failed), and the task fails.
      - V(skip) makes it C(skipped), neither changed nor failed.
    type: str
    choices: [fail, skip]
    default: fail
  wait:
    description:
      - After CXone accepts an agent's request (HTTP 200 or 202), read the agent's recording
        status until it shows the requested state, for at most O(wait_timeout) seconds.
      - Confirmed agents end C(completed), whatever the first answer was; the others end
        C(failed) with the last status read in their C(msg). RV(results[].confirmed) says which.
      - The status is read with backoff (0.5 s, doubling up to 5 s) within the batch's
        O(concurrency), with the task's token.
      - Only the status of the same contact confirms, that is the contact CXone's answer named, or, when
        it named none, the contact of C(expected_contacts) or else of the first status read. Start
        is confirmed by C(Recording); stop by not C(Recording) with reason C(StopOnDemand) or
        C(CustomerDisconsent) (a call that was never recorded proves nothing); do-not-record by
        reason C(CustomerDisconsent); mask by reason C(Mask); unmask by a reason other than C(Mask).
      - When the agent's call has ended, or the agent is on another contact, before its status
        confirmed the request, the agent ends C(failed) at once, its C(msg) saying "the call ended
        or changed", rather than after O(wait_timeout).
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for each agent's status with O(wait), from 1 to 600.
      - It bounds the agent's whole wait, the retries of status reads included. A read that CXone
        asks to repeat later than the deadline (C(Retry-After)) is not repeated.
    type: int
    default: 30
  only_when_needed:
    description:
      - Read each agent's recording status first and send the request only to the agents whose
        status does not show the requested state yet (the states that confirm O(wait)). The
        others end C(unchanged), with the status read in C(msg), and a task where no request was
        needed reports C(changed=false). A task run twice then changes only the first time.
      - The cost is one status read per agent, within the batch's O(concurrency).
      - A start with C(media_type=voiceAndScreen) is always sent, since the status does not say
        which media are recorded. When the status cannot be read, the request is sent as without
        this option. An agent the status read shows on no call gets no request either; its
        outcome follows O(no_active_call), as a 404 to the request would.
      - In check mode the status is read as well, so agents already in the requested state are
        reported C(unchanged) and the others C(planned).
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Logs in and discovers the API, so that a dry run catches bad credentials, but sends no
        request that changes recording. Every agent gets outcome C(planned).
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
notes:
  - Repeating an operation has no further effect in CXone, so retrying is safe; an entry whose
    RV(results[].unanswered_attempts) is above 0 had an earlier attempt that got no answer and
    may have taken effect before the answer reported.
  - The status read by O(wait) is C(get-recording-status) under O(recording_api_path).
"""

    EXPECTED_CONTACTS = r"""
options:
  expected_contacts:
    description:
      - The contact each agent is expected to be on, as a mapping of user id to contact id, for
        an action meant for one call only.
      - For each agent named here, the agent's recording status is read first, and the request
        is sent only if the agent's ongoing contact is that contact. Otherwise nothing is sent
        and the agent's outcome is C(skipped), with both contacts in its C(msg); when the status
        cannot be read, the outcome is C(failed).
      - The guard holds through the whole request. Before every retry of the request (after HTTP
        425, 429, 5xx or a lost connection) the agent's contact is read again; once it is another
        contact, or no call, nothing more is sent and the outcome is C(skipped). An answer that
        names another contact than the expected one is never C(completed) but C(failed), its
        C(msg) saying where it landed.
      - No client can close one window, since CXone's operations are keyed by user id alone. A call
        that changes between the last status read and the moment CXone applies the request is
        shown by the answer's contact id (outcome C(failed), "landed on contact X, expected Y").
      - Every user id named here must also be in O(user_id) (compared without regard to case).
        Agents not named are not checked.
      - In check mode the status is read too, so that the plan shows who would be skipped.
    type: dict
"""
