#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cxone_recording_start
short_description: Start recording agents' ongoing CXone calls on demand
version_added: 1.0.0
description:
  - Starts recording the ongoing call of one or many agents with CXone's Record on Demand API,
    voice only or voice and screen.
  - Recording started on demand takes priority over the tenant's recording policies.
  - Used for compliance, quality assurance or training.
author:
  - cxone.recording contributors (@cxone-recording)
options:
  media_type:
    description:
      - What to record. V(voice) records the call's audio, V(voiceAndScreen) also the agent's screen.
    type: str
    choices: [voice, voiceAndScreen]
    default: voice
extends_documentation_fragment:
  - cxone.recording.batch
  - cxone.recording.batch.action_group
  - cxone.recording.operation
  - cxone.recording.connection
notes:
  - After a do-not-record on a contact (M(cxone.recording.cxone_do_not_record)), CXone refuses
    to start recording it again with HTTP 409, for the whole contact including transfers,
    consults and conferences; the agent's outcome is C(failed).
  - The calling CXone user needs the permission Interactions Hub > APIs > Multi-ACD Record on
    Demand API; without it CXone answers HTTP 403.
requirements:
  - requests (on the Ansible controller)
seealso:
  - module: cxone.recording.cxone_recording_stop
  - module: cxone.recording.cxone_do_not_record
  - name: Record on Demand APIs
    description: NICE's help page on the API.
    link: https://help.nicecxone.com/content/recording/recordondemandapi.htm
"""

EXAMPLES = r"""
- name: Record voice and screen of one agent's call for a quality review
  cxone.recording.cxone_recording_start:
    user_id: 3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
    media_type: voiceAndScreen
  environment:
    CXONE_CLIENT_ID: "{{ cxone_client_id }}"
    CXONE_CLIENT_SECRET: "{{ cxone_client_secret }}"
    CXONE_ACCESS_KEY_ID: "{{ cxone_access_key_id }}"
    CXONE_ACCESS_KEY_SECRET: "{{ cxone_access_key_secret }}"

- name: Start voice recording for a team, skipping agents who are not on a call
  cxone.recording.cxone_recording_start:
    user_ids: "{{ team_user_ids }}"
    no_active_call: skip
    concurrency: 16
  register: started

- name: Show who is being recorded
  ansible.builtin.debug:
    msg: "{{ started.results | selectattr('outcome', 'in', ['completed', 'accepted']) | map(attribute='user_id') }}"
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
      sample: Recording started
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
from ansible_collections.cxone.recording.plugins.module_utils._operations import START
from ansible_collections.cxone.recording.plugins.module_utils._recording import RecordingTask, argument_spec
from ansible_collections.cxone.recording.plugins.module_utils._results import exit_task


def main():
    module = AnsibleModule(argument_spec=argument_spec(START), supports_check_mode=True)
    exit_task(module, run_agent_task(module, RecordingTask(START, module.check_mode)))


if __name__ == "__main__":
    main()
