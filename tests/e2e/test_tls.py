# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""TLS against the sandbox served over HTTPS with its own self-signed certificate."""

from __future__ import annotations

import pytest

from e2e_helpers import Ansible, agent_ids, make_tenant  # pylint: disable=import-error
from cxone_sandbox import SandboxServer  # pylint: disable=import-error

pytestmark = pytest.mark.e2e

AGENT = agent_ids(1, prefix="7150")[0]


@pytest.fixture(scope="module")
def https_server(tmp_path_factory):
    with SandboxServer(tls_dir=str(tmp_path_factory.mktemp("tls"))) as server:
        yield server


@pytest.fixture
def https(https_server, tmp_path):
    control = https_server.client()
    control.reset()
    control.add_tenant(make_tenant(agents=[AGENT], calls=[AGENT]))
    return Ansible(str(tmp_path), https_server.url), control


def stop_task():
    return [{"name": "stop", "cxone.recording.cxone_recording_stop": {"user_id": AGENT}, "register": "stop",
             "ignore_errors": True}]


def test_an_unknown_certificate_fails_with_a_clear_message(https):
    ansible, control = https
    result = ansible.run(ansible.play(stop_task(), module_defaults=ansible.direct_vars())).result("stop")
    assert result["failed"] is True
    assert "TLS certificate verification failed for %s" % ansible.sandbox_url in result["msg"]
    assert "ca_path" in result["msg"]
    assert control.stats()["token_requests"]["password"] == 0


def test_ca_path_trusts_the_certificate(https, https_server):
    ansible, control = https
    run = ansible.run(ansible.play(stop_task(), module_defaults=ansible.direct_vars(ca_path=https_server.cert_file)))
    assert run.result("stop")["outcome"] == "completed"
    assert control.stats()["operation_requests"]["stop"] == 1


def test_validate_certs_false_works_with_a_warning(https):
    ansible, _control = https
    run = ansible.run(ansible.play(stop_task(), module_defaults=ansible.direct_vars(validate_certs=False)))
    result = run.result("stop")
    assert result["outcome"] == "completed"
    assert any("validate_certs is false" in warning for warning in result.get("warnings", []))
    assert "InsecureRequestWarning" not in run.output


def test_the_connection_plugin_verifies_too(https, https_server):
    ansible, _control = https
    tasks = [dict(stop_task()[0], ignore_errors=True)]
    failing = ansible.run(ansible.play(tasks, hosts="cxone"), inventory=ansible.tenant_inventory()).result("stop")
    assert "TLS certificate verification failed" in failing["msg"]
    passing = ansible.run(ansible.play(tasks, hosts="cxone"),
                          inventory=ansible.tenant_inventory(ca_path=https_server.cert_file)).result("stop")
    assert passing["outcome"] == "completed"
