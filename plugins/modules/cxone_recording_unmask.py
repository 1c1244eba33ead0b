#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cxone_recording_unmask
short_description: Unmask the recording of agents' ongoing CXone calls
version_added: 1.0.0
description:
  - Ends the mask that M(cxone.recording.cxone_recording_mask) put on the ongoing call of one or
    many agents, with CXone's Masking API; the recording carries on from here.
  - What was said while the call was masked stays silent in the recording.
author:
  - cxone.recording contributors (@cxone-recording)
extends_documentation_fragment:
  - cxone.recording.batch
  - cxone.recording.batch.action_group
  - cxone.recording.operation
  - cxone.recording.operation.expected_contacts
  - cxone.recording.connection
notes:
  - The calling CXone user needs the permission Interactions Hub > APIs > Multi-ACD Masking API,
    which is not the Record on Demand permission; without it CXone answers HTTP 403.
  - CXone cannot mask an internal (agent-to-agent) call and answers HTTP 422; the agent's outcome
    is C(failed), and the request is not retried.
  - When the agent is on several calls, CXone masks the latest call the agent joined.
  - Unmasking a call that is not masked succeeds and changes nothing. It does nothing either
    when the call was not being recorded at the time it was masked, or when a stop arrived
    while it was masked.
requirements:
  - requests (on the Ansible controller)
seealso:
  - module: cxone.recording.cxone_recording_mask
  - module: cxone.recording.cxone_recording_info
  - name: Masking API
    description: NICE's help page on the API.
    link: https://help.nicecxone.com/content/recording/publicmaskapi.htm
"""

EXAMPLES = r"""
- name: Unmask the agent's call once the payment is taken
  cxone.recording.cxone_recording_unmask:
    user_id: 3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
    expected_contacts:
      3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d: "604812734581"
    wait: true

- name: Unmask a whole team after an incident, whoever is on a call
  cxone.recording.cxone_recording_unmask:
    user_ids: "{{ team_user_ids }}"
    no_active_call: skip
    only_when_needed: true
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
        - V(completed) CXone did it (HTTP 200), or with O(wait) the agent's status confirmed it;
          V(accepted) CXone accepted it for processing (HTTP 202); V(skipped) no active call with
          O(no_active_call=skip), or not on the contact C(expected_contacts) names; V(failed) see
          C(msg); V(planned) check mode, nothing sent; V(unchanged) with O(only_when_needed) the
          agent's status already showed the requested state, nothing sent.
      type: str
      sample: completed
    http_status:
      description: HTTP status of CXone's final answer, or null when none came.
      type: int
      sample: 200
    contact_id:
      description: The contact (call) CXone acted on, when it said.
      type: str
      sample: "604812734581"
    description:
      description: CXone's own text from its answer.
      type: str
      sample: Recording unmasked
    attempts:
      description: Requests sent for this agent, retries and status reads included.
      type: int
      sample: 1
    unanswered_attempts:
      description:
        - Attempts that got no answer (timed out or cut); above 0, an earlier attempt may have
          taken effect before the answer reported.
      type: int
      sample: 0
    confirmed:
      description:
        - With O(wait), whether the agent's recording status showed the requested state in time;
          null when the task did not wait for this agent.
      type: bool
      sample: null
    msg:
      description: Why the agent was C(failed) or C(skipped), with the HTTP status and CXone's message.
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
  sample: {completed: 2, accepted: 1, unchanged: 0, skipped: 0, failed: 0, planned: 0, total: 3}
user_id:
  description: With exactly one user id, that agent's user id.
  returned: when one user id is given
  type: str
  sample: 3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
outcome:
  description: With exactly one user id, that agent's outcome.
  returned: when one user id is given
  type: str
  sample: completed
http_status:
  description: With exactly one user id, the HTTP status of CXone's final answer.
  returned: when one user id is given
  type: int
  sample: 200
contact_id:
  description: With exactly one user id, the contact CXone acted on.
  returned: when one user id is given
  type: str
  sample: "604812734581"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cxone.recording.plugins.module_utils._batch import run_agent_task
from ansible_collections.cxone.recording.plugins.module_utils._operations import UNMASK
from ansible_collections.cxone.recording.plugins.module_utils._recording import RecordingTask, argument_spec
from ansible_collections.cxone.recording.plugins.module_utils._results import exit_task


def main():
    module = AnsibleModule(argument_spec=argument_spec(UNMASK), supports_check_mode=True)
    exit_task(module, run_agent_task(module, RecordingTask(UNMASK, module.check_mode)))


if __name__ == "__main__":
    main()
