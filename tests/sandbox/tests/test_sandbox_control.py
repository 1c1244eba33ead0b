# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The control API itself: building the model, validation, state views, reset."""

from __future__ import annotations

import pytest
import requests

from sandbox_helpers import CXone, make_tenant
from cxone_sandbox import SandboxError, SandboxServer


def _refused(call, *args, **kwargs):
    with pytest.raises(SandboxError) as error:
        call(*args, **kwargs)
    return error.value.status


def test_empty_model_then_build_it_step_by_step(control):
    assert control.state() == {"tenants": []}
    control.add_tenant(make_tenant())
    control.add_agent("u1", name="Una")
    contact = control.start_call("u1", contact_id="555000111")
    assert contact["contact_id"] == "555000111" and contact["participants"] == ["u1"]
    generated = control.start_call(control.add_agent("u2")["user_id"])["contact_id"]
    assert generated.isdigit() and generated != "555000111"
    tenant = control.state()["tenants"][0]
    assert [(a["user_id"], a["name"], a["contact_id"]) for a in tenant["agents"]] == [("u1", "Una", "555000111"), ("u2", "u2", generated)]
    assert set(tenant["contacts"][0]) == {"contact_id", "interaction_id", "segment_ids", "participants", "internal", "recording",
                                          "do_not_record", "stopped_on_demand", "masked", "ended", "segments", "consent",
                                          "consent_posted_at"}
    assert (tenant["contacts"][0]["internal"], tenant["contacts"][0]["masked"]) == (False, False)


def test_agent_state_without_a_call(control):
    control.add_tenant(make_tenant(agents=["idle"]))
    view = control.agent_state("idle")
    assert view["contact_id"] is None and view["contact"] is None and view["recording"] is None and view["segments"] == []


@pytest.mark.parametrize("call, args, status", [
    ("add_agent", ("a1",), 409),                       # already exists
    ("start_call", ("a1",), 409),                      # already on a call
    ("start_call", ("ghost",), 404),                   # unknown agent
    ("transfer", ("999", "a3"), 404),                  # unknown contact
    ("lock_contact", ("999", 10), 404),
    ("agent_state", ("ghost",), 404),
    ("add_tenant", ({"tenant_id": "tenant-a", "area": "xx"},), 409),   # tenant id taken
    ("add_tenant", ({"tenant_id": "other", "area": "na1"},), 409),     # area taken
    ("add_tenant", ({"tenant_id": "other"},), 400),                    # area missing
    ("add_tenant", ({"tenant_id": "o", "area": "o1", "colour": "x"},), 400),
    ("settings", (), 400),
    ("start_call", ("a2", None, ["tenant-a"]), 400),   # tenant_id not a string
    ("add_agent", ("a9", None, None, 7), 400),
])
@pytest.mark.usefixtures("token")
def test_control_errors(control, call, args, status):
    if call == "settings":
        assert _refused(control.settings, recording_policy="always") == status
    else:
        assert _refused(getattr(control, call), *args) == status


@pytest.mark.usefixtures("token")
def test_transfer_of_an_ended_call_is_refused(control):
    contact_id = control.agent_state("a1")["contact_id"]
    control.end_call(contact_id)
    assert _refused(control.transfer, contact_id, "a3") == 409


def test_reset_with_a_config_and_a_bad_config_changes_nothing(control):
    control.reset({"tenants": [make_tenant(agents=["x"], calls=["x"])]})
    assert control.agent_state("x")["contact_id"]
    assert _refused(control.reset, {"tenants": [make_tenant(agents=["y"], calls=["nobody"])]}) == 404
    assert control.agent_state("x")["contact_id"]
    control.reset()
    assert control.state() == {"tenants": []}


def test_reset_forgets_tokens_faults_and_counters(control, cxone, token):
    control.add_fault("status", status=500)
    cxone.operation("start", "a1", token)
    control.reset({"tenants": [make_tenant(agents=["a1"], calls=["a1"])]})
    assert control.faults() == [] and control.requests()["requests"] == []
    assert control.stats()["operation_requests"] == {"start": 0, "stop": 0, "do_not_record": 0, "mask": 0, "unmask": 0, "status": 0}
    assert cxone.operation("start", "a1", token).status_code == 401
    assert cxone.operation("start", "a1", cxone.login()).status_code == 200


def test_unknown_control_calls(control):
    assert _refused(control.call, "GET", "/nothing") == 404
    assert _refused(control.call, "GET", "/faults/x") == 404
    assert _refused(control.call, "PUT", "/reset") == 405


def test_in_process_server_with_a_config_and_tls(tmp_path):
    config = {"tenants": [make_tenant(agents=["a1"], calls=["a1"])]}
    with SandboxServer(config, tls_dir=str(tmp_path)) as server:
        assert server.url.startswith("https://127.0.0.1:")
        assert server.cert_file == str(tmp_path / "cert.pem")
        assert server.client().agent_state("a1")["contact_id"]
        api = CXone(server.url, server.api_url, verify=server.cert_file)
        assert api.operation("start", "a1", api.login()).status_code == 200


def test_stopping_ends_kept_alive_connections():
    with SandboxServer({"tenants": [make_tenant()]}) as server:
        api = CXone(server.url, server.api_url)
        assert api.session.get(server.url + "/auth/jwks").status_code == 200      # the pool keeps this connection
    with pytest.raises(requests.ConnectionError):
        api.session.get(server.url + "/auth/jwks", timeout=5)
