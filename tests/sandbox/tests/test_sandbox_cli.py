# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The command line: URL file, stdout line, SIGTERM, HTTPS with a self-signed certificate, the demo config, speed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading

import pytest
import requests
from cxone_sandbox import SandboxProcess

from sandbox_helpers import RECORDING_PATH

SANDBOX_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(SANDBOX_DIR, "demo.json")
DEMO_TENANT = "11111111-aaaa-4bbb-8ccc-000000000001"


def running_sandbox(tmp_path, *extra):
    """The demo configuration on the command line; the URL file's folder does not exist yet: the CLI makes it."""
    return SandboxProcess(tmp_path / "run" / "url", ["--config", DEMO] + list(extra), start_timeout=20).start()


def cpu_seconds(process):
    with open("/proc/%d/stat" % process.pid, encoding="ascii") as stream:
        fields = stream.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _login(session, url):
    answer = session.post(url + "/auth/token", data={"grant_type": "password", "username": "DEMOKEYID", "password": "demo-access-key-secret"},
                          auth=("demo-client", "demo-client-secret"), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def test_cli_writes_url_file_serves_and_stops_on_sigterm(tmp_path):
    sandbox = running_sandbox(tmp_path)
    try:
        assert sandbox.url.startswith("http://127.0.0.1:") and sandbox.url.strip() == sandbox.url
        assert requests.get(sandbox.url + "/.well-known/openid-configuration", timeout=10).json()["issuer"] == sandbox.url
    finally:
        code, out, err = sandbox.stop()
    assert code == 0, err
    assert "CXone sandbox listening on %s\n" % sandbox.url in out
    assert "CXone sandbox API origin on http://127.0.0.1:" in out
    assert err == ""          # quiet by default


def test_cli_tls_serves_https_with_its_certificate_as_ca_bundle(tmp_path):
    cert_dir = tmp_path / "tls"
    sandbox = running_sandbox(tmp_path, "--tls", "--cert-dir", str(cert_dir))
    try:
        assert sandbox.url.startswith("https://127.0.0.1:")
        cert = str(cert_dir / "cert.pem")
        assert (cert_dir / "key.pem").stat().st_mode & 0o077 == 0
        discovery = requests.get(sandbox.url + "/.well-known/cxone-configuration", params={"tenantId": DEMO_TENANT}, verify=cert, timeout=10)
        api_endpoint = discovery.json()["api_endpoint"]
        # The API origin: HTTPS with the same certificate, on a port of its own.
        assert api_endpoint.startswith("https://127.0.0.1:") and api_endpoint.endswith("/api-na1")
        assert not api_endpoint.startswith(sandbox.url)
        assert requests.get(sandbox.url.replace("127.0.0.1", "localhost") + "/auth/jwks", verify=cert, timeout=10).status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(sandbox.url + "/auth/jwks", timeout=10)        # not trusted by the system CAs
        with requests.Session() as session:
            session.verify = cert
            session.trust_env = False       # else REQUESTS_CA_BUNDLE in the environment overrides session.verify
            token = _login(session, sandbox.url)
            answer = session.post(api_endpoint + RECORDING_PATH + "start-recording-on-demand",
                                  params={"userId": "3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}, headers={"Authorization": "Bearer " + token})
            assert answer.status_code == 200
    finally:
        code, _out, err = sandbox.stop()
    assert code == 0, err


def test_cli_log_file(tmp_path):
    log_file = tmp_path / "requests.log"
    sandbox = running_sandbox(tmp_path, "--log-file", str(log_file))
    try:
        requests.get(sandbox.url + "/auth/jwks", timeout=10)
    finally:
        sandbox.stop()
    assert '"GET /auth/jwks HTTP/1.1" 200' in log_file.read_text(encoding="utf-8")


def test_cli_refuses_a_bad_config(tmp_path):
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"tenants": [{"tenant_id": "t", "area": "na1", "recording_policy": "sometimes"}]}), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=SANDBOX_DIR)
    done = subprocess.run([sys.executable, "-m", "cxone_sandbox", "--config", str(config)], env=env, capture_output=True, text=True,
                          timeout=20, check=False)
    assert done.returncode == 2 and "recording_policy" in done.stderr


def test_demo_config_and_a_1000_request_batch_is_cheap(tmp_path):
    sandbox = running_sandbox(tmp_path)
    try:
        state = requests.get(sandbox.url + "/_sandbox/state", timeout=10).json()["tenants"][0]
        assert len(state["agents"]) == 8
        assert [a["name"] for a in state["agents"] if a["contact_id"] is None] == ["Frank Free"]
        assert [a["name"] for a in state["agents"] if a["asynchronous"]] == ["Dave Delayed"]
        with requests.Session() as session:
            token = _login(session, sandbox.url)
        api_url = requests.get(sandbox.url + "/_sandbox/health", timeout=10).json()["api_url"]
        url = api_url + "/api-na1" + RECORDING_PATH + "start-recording-on-demand"
        users = ["3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"] + ["5f3c9a52-7d4e-4b8a-9c1f-2e6d8b0a1c0%d" % i for i in (3, 5)]
        codes = []
        cpu_before = cpu_seconds(sandbox.process)

        def worker(user_id):
            with requests.Session() as session:
                headers = {"Authorization": "Bearer " + token}
                codes.extend(session.post(url, params={"userId": user_id}, headers=headers, timeout=10).status_code for _attempt in range(125))

        threads = [threading.Thread(target=worker, args=(users[i % 4],)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        cpu = cpu_seconds(sandbox.process) - cpu_before
        assert codes == [200] * 1000
        print("sandbox CPU for 1,000 requests: %.2f s" % cpu)
        assert cpu < 1.0, "the sandbox used %.2f s of CPU for 1,000 requests" % cpu
    finally:
        sandbox.stop()


def test_cli_api_port_chooses_the_api_origin(tmp_path):
    with socket.socket() as probe:        # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sandbox = running_sandbox(tmp_path, "--api-port", str(port))
    try:
        api_url = "http://127.0.0.1:%d" % port
        assert requests.get(sandbox.url + "/_sandbox/health", timeout=10).json()["api_url"] == api_url
        discovery = requests.get(sandbox.url + "/.well-known/cxone-configuration", params={"tenantId": DEMO_TENANT}, timeout=10)
        assert discovery.json()["api_endpoint"] == api_url + "/api-na1"
    finally:
        code, out, _err = sandbox.stop()
    assert code == 0 and "CXone sandbox API origin on %s\n" % api_url in out
