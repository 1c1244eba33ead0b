# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Documentation of what the three recording modules share: agents, batching, attributes."""

from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods

    DOCUMENTATION = r"""
options:
  user_id:
    description:
      - The CXone user id (a User Hub UUID) of one agent, or a list of them.
      - Each id is stripped of surrounding spaces and must not be empty or contain control
        characters. An id given twice is sent once and has one result.
      - A string is split at commas, as for every Ansible list option.
    type: list
    elements: str
    required: true
    aliases: [user_ids]
  no_active_call:
    description:
      - What CXone's HTTP 404 (the agent has no active call) means for the task.
      - V(fail) makes the agent's outcome C(failed), and the task fails.
      - V(skip) makes it C(skipped), neither changed nor failed.
    type: str
    choices: [fail, skip]
    default: fail
  concurrency:
    description:
      - How many requests of a batch are in flight at once, from 1 to 64.
    type: int
    default: 8
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
  action_group:
    description: Use C(group/cxone.recording.cxone) in C(module_defaults) to set defaults for this module.
    support: full
    membership: [cxone.recording.cxone]
notes:
  - Each agent gets one entry in RV(results), in input order, even when others fail. The task
    fails when any agent failed; the entries of the others are still returned.
  - Retryable answers (HTTP 425, 429, 500, 502, 503, 504) and lost connections are retried.
    Repeating an operation has no further effect in CXone, so this is safe; an entry whose
    RV(results[].unanswered_attempts) is above 0 had an earlier attempt that got no answer and
    may have taken effect before the answer reported.
"""
