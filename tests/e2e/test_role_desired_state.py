# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""End-to-end: a plan applied by the role cxone.recording.record_on_demand is a desired state.

Applied twice, over the ``cxone_api`` connection and over ``connection: local``, it sends only
what is needed the first time (an agent recorded by a policy, or stopped already, is left
alone) and nothing the second time; its check mode is a true preview. A file of its own, so that
``make e2e`` and the range targets run it on another pytest-xdist worker than the rest of the
role's tests.
"""

from __future__ import annotations

import pytest
import requests

from e2e_helpers import (  # pylint: disable=import-error
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    CLIENT_ID,
    CLIENT_SECRET,
    agent_ids,
    apply_role,
    make_tenant,
    operation_requests,
    recording_module_tasks,
    role_outcomes,
    role_report,
)

RECORDING_API_PATH = "/interaction-recording-management-service/v1/interactions"


def stop_on_demand(sandbox, api_url, user_id):
    """Stop recording the agent's call as something else did before the plan: a stop request sent to the
    tenant's API directly (a ``requests`` call costs less than one more ansible-playbook run)."""
    session = requests.Session()
    session.trust_env = False  # the sandbox is on this machine: never through a proxy
    answer = session.post(api_url + "/api-na1" + RECORDING_API_PATH + "/stop-recording-on-demand",
                          params={"userId": user_id}, timeout=30,
                          headers={"Authorization": "Bearer " + sandbox.issue_token()["access_token"]})
    assert answer.status_code == 200, answer.text
    assert sandbox.agent_state(user_id)["contact"]["stopped_on_demand"] is True


@pytest.mark.parametrize("mode", ("cxone_api", "local"))
def test_a_plan_is_a_desired_state_applied_twice_it_changes_nothing_the_second_time(ansible, sandbox, mode):
    agents = agent_ids(6, prefix="7d5e")
    recorded_by_policy, to_start, to_stop, stopped_already, to_refuse, no_call = agents
    sandbox.add_tenant(make_tenant(agents=agents, calls=agents[:5]))
    sandbox.add_fault("slow", delay_ms=0, operation="status", user_id=recorded_by_policy, count=1,
                      next_call={"recording_policy": "voice"})  # its call, recorded by a policy, is read first
    plan = [{"action": "start", "user_ids": [recorded_by_policy, to_start]},
            {"action": "stop", "user_ids": [to_stop, stopped_already]},
            {"action": "do_not_record", "user_ids": [to_refuse]},
            {"action": "stop", "user_ids": [no_call]}]
    if mode == "local":
        environment = {"CXONE_ISSUER": ansible.sandbox_url, "CXONE_CLIENT_ID": CLIENT_ID,
                       "CXONE_CLIENT_SECRET": CLIENT_SECRET, "CXONE_ACCESS_KEY_ID": ACCESS_KEY_ID,
                       "CXONE_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET}
        playbook, inventory = apply_role(ansible, plan, hosts="localhost", record_on_demand_no_active_call="skip"), None
    else:
        environment = None
        playbook = apply_role(ansible, plan, record_on_demand_no_active_call="skip")
        inventory = ansible.tenant_inventory()
    stop_on_demand(sandbox, ansible.api_url, stopped_already)

    preview = ansible.run(playbook, inventory, env=environment, check=True)
    assert preview.rc == 0, preview.output[-3000:]
    assert role_outcomes(role_report(preview)) == {
        ("start", recorded_by_policy): "unchanged", ("start", to_start): "planned",
        ("stop", to_stop): "planned", ("stop", stopped_already): "unchanged", ("stop", no_call): "skipped",
        ("do_not_record", to_refuse): "planned"}
    sent_before = len(operation_requests(sandbox))

    first = ansible.run(playbook, inventory, env=environment)
    assert first.rc == 0, first.output[-3000:]
    assert role_outcomes(role_report(first)) == {
        ("start", recorded_by_policy): "unchanged", ("start", to_start): "completed",
        ("stop", to_stop): "completed", ("stop", stopped_already): "unchanged", ("stop", no_call): "skipped",
        ("do_not_record", to_refuse): "completed"}
    assert sorted((entry["operation"], entry["user_id"]) for entry in operation_requests(sandbox)[sent_before:]) == sorted([
        ("start", to_start), ("stop", to_stop), ("do_not_record", to_refuse)])

    sent_before = len(operation_requests(sandbox))
    second = ansible.run(playbook, inventory, env=environment)
    assert second.rc == 0, second.output[-3000:]
    report = role_report(second)
    assert set(role_outcomes(report).values()) == {"unchanged", "skipped"}
    assert [task["result"]["changed"] for task in recording_module_tasks(second)] == [False, False, False]
    assert operation_requests(sandbox)[sent_before:] == [], "no recording request the second time"
    assert report["summary"][1] == "stop: 3 agents: 2 unchanged, 1 skipped"
