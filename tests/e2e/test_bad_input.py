# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Bad input of every kind is refused with a message naming the option, before any request."""

from __future__ import annotations

import pytest

from e2e_helpers import agent_ids, make_tenant  # pylint: disable=import-error

pytestmark = pytest.mark.e2e

AGENT = agent_ids(1, prefix="bad0")[0]

# (module, options, text the failure message must contain)
MODULE_CASES = [
    ("cxone_recording_stop", {}, "missing required arguments: user_id"),
    ("cxone_recording_stop", {"user_id": ""}, "user_id is empty"),
    ("cxone_recording_stop", {"user_id": "   "}, "user_id is empty"),
    ("cxone_recording_stop", {"user_id": []}, "user_id: give one user id or a non-empty list"),
    ("cxone_recording_stop", {"user_id": [AGENT, " "]}, "user_id: item 2 is empty"),
    ("cxone_recording_stop", {"user_id": ["tab\there"]}, "user_id ('tab\\there') contains a control character"),
    ("cxone_do_not_record", {"user_id": [AGENT, "line\nbreak"]}, "user_id: item 2 ('line\\nbreak') contains a control character"),
    ("cxone_do_not_record", {"user_id": "x" * 300}, "user_id is 300 characters long; user ids have at most 256"),
    ("cxone_do_not_record", {"user_id": {"id": AGENT}}, "user_id"),
    ("cxone_recording_start", {"user_id": AGENT, "media_type": "screen"}, "media_type must be one of: voice, voiceAndScreen"),
    ("cxone_recording_start", {"user_id": AGENT, "media_type": "VOICE"}, "media_type must be one of: voice, voiceAndScreen"),
    ("cxone_recording_stop", {"user_id": AGENT, "media_type": "voice"}, "Unsupported parameters"),
    ("cxone_recording_stop", {"user_id": AGENT, "media": "voice"}, "Unsupported parameters"),
    ("cxone_recording_stop", {"user_id": AGENT, "no_active_call": "ignore"}, "no_active_call must be one of: fail, skip"),
    ("cxone_recording_start", {"user_id": AGENT, "concurrency": 0}, "concurrency: must be a whole number from 1 to 64, got 0"),
    ("cxone_recording_start", {"user_id": AGENT, "concurrency": 65}, "concurrency: must be a whole number from 1 to 64, got 65"),
    ("cxone_recording_start", {"user_id": AGENT, "concurrency": "many"}, "concurrency"),
    ("cxone_recording_start", {"user_id": AGENT, "adaptive_concurrency": "sometimes"}, "adaptive_concurrency"),
    ("cxone_recording_stop", {"user_id": AGENT, "timeout": 0}, "timeout: must be a whole number from 1 to 600, got 0"),
    ("cxone_recording_stop", {"user_id": AGENT, "timeout": 10000}, "timeout: must be a whole number from 1 to 600"),
    ("cxone_recording_stop", {"user_id": AGENT, "retries": -1}, "retries: must be a whole number from 0 to 20, got -1"),
    ("cxone_recording_stop", {"user_id": AGENT, "retries": 50}, "retries: must be a whole number from 0 to 20"),
    ("cxone_recording_stop", {"user_id": AGENT, "issuer": "not a url"}, "issuer:"),
    ("cxone_recording_stop", {"user_id": AGENT, "issuer": "ftp://cxone.example.com"}, "issuer: 'ftp://cxone.example.com' must be an absolute https:// URL"),
    ("cxone_recording_stop", {"user_id": AGENT, "issuer": "http://cxone.example.com"}, "issuer: 'http://cxone.example.com' uses plain http://"),
    ("cxone_recording_stop", {"user_id": AGENT, "api_endpoint": "https://api.example.com?x=1"}, "api_endpoint:"),
    ("cxone_recording_stop", {"user_id": AGENT, "api_endpoint": "api-na1.niceincontact.com"}, "api_endpoint: 'api-na1.niceincontact.com' must be an absolute"),
    ("cxone_recording_stop", {"user_id": AGENT, "recording_api_path": "interactions"}, "recording_api_path: 'interactions' must be a URL path"),
    ("cxone_recording_stop", {"user_id": AGENT, "ca_path": "/nonexistent/ca.pem"}, "ca_path: '/nonexistent/ca.pem' does not exist"),
    ("cxone_recording_stop", {"user_id": AGENT, "validate_certs": "maybe"}, "validate_certs"),
    ("cxone_recording_stop", {"user_id": AGENT, "allow_plain_http": "sometimes"}, "allow_plain_http"),
    ("cxone_recording_stop", {"user_id": AGENT, "access_key_id": ""}, "missing credentials"),
    ("cxone_recording_stop", {"user_id": AGENT, "client_id": "app\r\n"}, "client_id: must not contain control characters"),
    # The masking modules take the stop module's options, and check them the same way.
    ("cxone_recording_mask", {"user_id": AGENT, "media_type": "voice"}, "Unsupported parameters"),
    ("cxone_recording_mask", {"user_id": [AGENT, ""]}, "user_id: item 2 is empty"),
    ("cxone_recording_mask", {"user_id": AGENT, "wait": True, "wait_timeout": 0}, "wait_timeout: must be a whole number from 1 to 600"),
    ("cxone_recording_mask", {"user_id": AGENT, "expected_contacts": {"someone-else": "1"}},
     "expected_contacts: user 'someone-else' is not one of the agents in user_id"),
    ("cxone_recording_unmask", {"user_id": AGENT, "expected_contacts": {AGENT: "line\nbreak"}},
     "expected_contacts: the contact id of user %s must be a non-empty contact id" % AGENT),
    ("cxone_recording_unmask", {"user_id": AGENT, "only_when_needed": "perhaps"}, "only_when_needed"),
    ("cxone_recording_unmask", {"user_id": AGENT, "no_active_call": "ignore"}, "no_active_call must be one of: fail, skip"),
    ("cxone_recording_unmask", {"user_id": AGENT, "concurrency": 0}, "concurrency: must be a whole number from 1 to 64"),
]

# Settings of the cxone_api connection, as inventory variables: (variables, expected text)
CONNECTION_CASES = [
    ({"timeout": 0}, "timeout: must be a whole number from 1 to 600"),
    ({"retries": 99}, "retries: must be a whole number from 0 to 20"),
    ({"issuer": "cxone"}, "issuer: 'cxone' must be an absolute https:// URL"),
    ({"api_endpoint": "http://api.example.com"}, "api_endpoint: 'http://api.example.com' uses plain http://"),
    ({"ca_path": "/nonexistent/bundle.pem"}, "ca_path: '/nonexistent/bundle.pem' does not exist"),
    ({"access_key_secret": ""}, "missing credentials"),
]


def reported_per_agent(expected):
    """Errors found after the user ids were read (not by Ansible's own option checks) still give
    every agent its entry and the summary."""
    first_word = expected.split(" ")[0]
    return not first_word.startswith("user_id") and (first_word.endswith(":") or expected.startswith("missing cred"))


@pytest.fixture
def tenant(sandbox):
    sandbox.add_tenant(make_tenant(agents=[AGENT], calls=[AGENT]))
    return sandbox


def test_module_options_are_checked_before_any_request(ansible, tenant):
    tasks = [{"name": "case %d" % number, "cxone.recording." + module: options, "ignore_errors": True}
             for number, (module, options, _expected) in enumerate(MODULE_CASES)]
    run = ansible.run(ansible.play(tasks, module_defaults=ansible.direct_vars()))
    for number, (module, options, expected) in enumerate(MODULE_CASES):
        result = run.result("case %d" % number)
        assert result["failed"] is True, (module, options)
        assert expected in result["msg"], (module, options, result["msg"])
        assert result["changed"] is False
        if reported_per_agent(expected):
            assert [entry["outcome"] for entry in result["results"]] == ["failed"], (module, options)
            assert result["summary"]["failed"] == result["summary"]["total"] == 1
    assert tenant.requests()["requests"] == [], "nothing reached CXone"


def test_connection_settings_are_checked_before_any_request(ansible, tenant):
    hosts = {}
    for number, (variables, _expected) in enumerate(CONNECTION_CASES):
        settings = ansible.direct_vars()
        settings.update(variables)
        hosts["host%d" % number] = settings
    tasks = [{"name": "stop", "cxone.recording.cxone_recording_stop": {"user_id": [AGENT, "other"]},
              "ignore_errors": True}]
    run = ansible.run(ansible.play(tasks, hosts="cxone"), inventory=ansible.inventory(hosts), extra_args=["--forks", "2"])
    for number, (variables, expected) in enumerate(CONNECTION_CASES):
        result = run.result("stop", "host%d" % number)
        assert result["failed"] is True, variables
        assert expected in result["msg"], (variables, result["msg"])
        assert [entry["outcome"] for entry in result["results"]] == ["failed", "failed"], "every agent has its entry"
    assert tenant.requests()["requests"] == [], "nothing reached CXone"
    assert len(MODULE_CASES) + len(CONNECTION_CASES) >= 25
