# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Documentation of what the modules acting on a batch of agents share: the agents and concurrency.

Sub-fragments: ``ACTION_GROUP`` (``cxone.recording.batch.action_group``), the membership of every
module in the ``cxone`` action group; ``READ_ONLY`` (``cxone.recording.batch.read_only``), the
attributes of the modules that only read.
"""

from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods

    DOCUMENTATION = r"""
options:
  user_id:
    description:
      - The CXone user id (a User Hub UUID) of one agent, or a list of them. Required.
      - The check that it is given runs after Ansible's own checks of the options, so that a
        misspelled option (C(userids)) is named rather than reported as a missing O(user_id).
      - Each id is stripped of surrounding spaces and must not be empty or contain control
        characters. An id given twice is sent once and has one result; ids are compared without
        regard to case (CXone's user ids are UUIDs), and the first spelling is the one sent.
      - A string is split at commas, as for every Ansible list option.
    type: list
    elements: str
    aliases: [user_ids]
  concurrency:
    description:
      - How many requests of a batch are in flight at once, from 1 to 64.
    type: int
    default: 8
  adaptive_concurrency:
    description:
      - Whether the batch sends fewer requests at once while CXone rate-limits it.
      - On an HTTP 429 the number of requests in flight is halved (once per second at most),
        and every other answer raises it again, about one more per round of answers, up to
        O(concurrency). A C(Retry-After) pauses the whole batch, not only the request that got it,
        and the request that got it is sent again as soon as the pause ends. No pause lasts more
        than 60 s, however long a C(Retry-After) asks for.
      - V(false) keeps O(concurrency) requests in flight whatever CXone answers; each request told
        to wait by a C(Retry-After) waits it plus a random share of up to a fifth (at least up to
        one second), so that the workers do not all come back at once.
    type: bool
    default: true
notes:
  - Each agent gets one entry in RV(results), in input order, even when others fail. The task
    fails when any agent failed; the entries of the others are still returned.
  - Retryable answers (HTTP 425, 429, 500, 502, 503, 504) and lost connections are retried.
"""

    ACTION_GROUP = r"""
attributes:
  action_group:
    description: Use C(group/cxone.recording.cxone) in C(module_defaults) to set defaults for this module.
    support: full
    membership: [cxone.recording.cxone]
"""

    READ_ONLY = r"""
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - The module only reads, so it runs for real in check mode and never reports a change.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
"""
