#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cxone_recording_info
short_description: Read whether agents' ongoing CXone calls are being recorded
version_added: 1.0.0
description:
  - Reads the recording status of the ongoing call of one or many agents with CXone's
    C(get-recording-status) operation, which NICE publishes beside the Record on Demand API.
  - For each agent it returns the ongoing contact, whether it is being recorded, and why
    (a recording policy, a start or stop on demand, a customer's refusal, a hold).
  - It only reads. It runs for real in check mode and never reports a change.
author:
  - cxone.recording contributors (@cxone-recording)
extends_documentation_fragment:
  - cxone.recording.batch
  - cxone.recording.batch.action_group
  - cxone.recording.batch.read_only
  - cxone.recording.connection
notes:
  - The task fails only when an agent's status could not be read (outcome C(failed)); an agent
    on no call has outcome C(no_active_call).
  - The calling CXone user needs the recording permissions of the Record on Demand API; without
    them CXone answers HTTP 403.
requirements:
  - requests (on the Ansible controller)
seealso:
  - module: cxone.recording.cxone_recording_start
  - module: cxone.recording.cxone_recording_stop
  - module: cxone.recording.cxone_do_not_record
  - module: cxone.recording.cxone_user_info
"""

EXAMPLES = r"""
- name: Read the recording status of two agents
  cxone.recording.cxone_recording_info:
    user_ids:
      - 3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
      - 7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d
  register: status

- name: List the agents whose calls are being recorded
  ansible.builtin.debug:
    msg: "{{ status.results | selectattr('recording_status_to_agent', 'equalto', 'Recording') | map(attribute='user_id') }}"

- name: Prove that a customer's refusal is in force for the agent's ongoing contact
  ansible.builtin.assert:
    that:
      - status.results[0].status_reason == 'CustomerDisconsent'
      - status.results[0].recording_status_to_agent != 'Recording'
"""

RETURN = r"""
results:
  description: One entry per distinct user id, in input order.
  returned: always
  type: list
  elements: dict
  contains:
    user_id:
      description: The agent's user id, as sent.
      type: str
      sample: 3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
    outcome:
      description:
        - V(found) CXone answered the agent's status; V(no_active_call) the agent is on no call
          (HTTP 404); V(failed) the status could not be read, see C(msg).
      type: str
      sample: found
    http_status:
      description: HTTP status of CXone's final answer, or null when none came.
      type: int
      sample: 200
    contact_id:
      description: The agent's ongoing contact, when CXone said.
      type: str
      sample: "604812734581"
    segment_id:
      description: The contact's current segment, when CXone said.
      type: str
      sample: "1"
    interaction_id:
      description: The interaction, when CXone said.
      type: str
      sample: 7c2e4a1b-0d3f-4e5a-9b6c-8d7e6f5a4b3c
    recording_status_to_agent:
      description:
        - The recording status as shown to the agent, as CXone writes it (C(Recording),
          C(Stopped), C(RecordingFailure), C(NoRecording), C(PoorRecordingQuality)), or null.
      type: str
      sample: Recording
    recording_status_from_agent:
      description:
        - The recording status of the agent's side (C(Recording), C(Stopped),
          C(RecordingFailure), C(NoRecording)), or null.
      type: str
      sample: Recording
    status_reason:
      description:
        - Why (C(Policy), C(Hold), C(Mask), C(RecordOnDemand), C(BusinessData), C(StopOnDemand),
          C(CustomerDisconsent)), or null.
      type: str
      sample: RecordOnDemand
    attempts:
      description: Requests sent for this agent, retries included.
      type: int
      sample: 1
    msg:
      description: Why the agent's outcome is C(failed) or C(no_active_call).
      type: str
      sample: null
    requested_at:
      description: When the first request for this agent was sent (UTC, ISO 8601).
      type: str
      sample: "2026-11-25T04:05:06.789Z"
    answered_at:
      description: When the final answer came (UTC, ISO 8601).
      type: str
      sample: "2026-11-25T04:05:06.912Z"
summary:
  description: How many agents ended with each outcome, and the total.
  returned: always
  type: dict
  sample: {found: 2, no_active_call: 1, failed: 0, total: 3}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cxone.recording.plugins.module_utils._batch import run_agent_task
from ansible_collections.cxone.recording.plugins.module_utils._options import (
    ADAPTIVE_CONCURRENCY_OPTION,
    CONCURRENCY_OPTION,
    USER_ID_OPTION,
)
from ansible_collections.cxone.recording.plugins.module_utils._recording_status import (
    STATUS_OUTCOMES,
    read_status,
    status_entry,
)
from ansible_collections.cxone.recording.plugins.module_utils._results import exit_task, task_result, utc_now
from ansible_collections.cxone.recording.plugins.module_utils._settings import connection_argument_spec


class StatusTask:
    """Reads each agent's recording status, for real in check mode too (it changes nothing)."""

    @staticmethod
    def check_options(params, user_ids):
        """No option beyond the agents and the batch's, which ``run_agent_task`` checks."""

    @staticmethod
    def act(session, user_id):
        return read_status(session, user_id)

    @staticmethod
    def failed_entry(user_id, http_status, msg):
        now = utc_now()
        return status_entry(user_id, "failed", http_status, msg=msg, requested_at=now, answered_at=now)

    @staticmethod
    def result(entries):
        return task_result("read recording status", entries, STATUS_OUTCOMES, changed_outcomes=(),
                           single_agent_fields=())


def main():
    spec = {"user_id": dict(USER_ID_OPTION), "concurrency": dict(CONCURRENCY_OPTION),
            "adaptive_concurrency": dict(ADAPTIVE_CONCURRENCY_OPTION)}
    spec.update(connection_argument_spec())
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    exit_task(module, run_agent_task(module, StatusTask()))


if __name__ == "__main__":
    main()
