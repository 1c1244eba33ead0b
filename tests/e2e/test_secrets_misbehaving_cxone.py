# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Secrets never reach what a user can see, even when CXone or a gateway misbehaves.

The collection quotes the answers it gets in its messages: what CXone, a proxy or a gateway
puts in an error answer (an echo of the login form), or in a token (one that cannot go into a
header), must still not carry a secret to the task. Also checks the leak search itself.
"""

from __future__ import annotations

import base64
import json
import urllib.parse

import pytest

from _helpers_secrets import ALICE, ON_CALL, Needles, step  # pylint: disable=import-error
from e2e_helpers import (  # pylint: disable=import-error
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    CLIENT_ID,
    CLIENT_SECRET,
    TENANT_A,
    Ansible,
    make_tenant,
)

pytestmark = pytest.mark.e2e


# What a gateway that echoes a refused request would answer: the form as the collection sent it.
ECHOED_LOGIN = ("invalid_grant for grant_type=password&username=%s&password=%s"
                % (ACCESS_KEY_ID, urllib.parse.quote_plus(ACCESS_KEY_SECRET)))
# A token that cannot go into a header (a line break from a broken proxy, say).
ODD_TOKEN = "sbxAT-odd-token-from-a-gateway\r\n"


@pytest.fixture(scope="module")
def misbehaving_cxone(sandbox_server, tmp_path_factory):
    control = sandbox_server.client()
    control.reset()
    control.add_tenant(make_tenant(agents=ON_CALL, calls=ON_CALL))
    # Fault rules fire in the order added: the echoing login, then the odd token.
    control.add_fault("status", status=400, count=1, applies_to="token", body=ECHOED_LOGIN, content_type="text/plain")
    control.add_fault("status", status=200, count=1, applies_to="token",
                      body=json.dumps({"access_token": ODD_TOKEN, "token_type": "Bearer", "expires_in": 3600}))
    ansible = Ansible(str(tmp_path_factory.mktemp("misbehaving")), sandbox_server.url, sandbox_server.api_url)
    login = ansible.direct_vars(tenant_id=TENANT_A)
    tasks = [step("cxone_recording_stop", "echoed", ignore_errors=True, user_id=ALICE),
             step("cxone_recording_stop", "odd token", ignore_errors=True, user_id=ALICE)]
    run = ansible.run(ansible.play(tasks, module_defaults=login), verbosity=4)
    assert control.stats()["faults_fired"] == 2, run.output[-3000:]
    return run


def test_an_echoed_login_form_does_not_reach_the_task(misbehaving_cxone):
    result = misbehaving_cxone.result("echoed")
    assert result["failed"] and "HTTP 400" in result["msg"], result
    needles = Needles().plant("the access key secret", ACCESS_KEY_SECRET)
    assert needles.find(json.dumps(result), "result") == []


def test_a_token_unfit_for_a_header_does_not_reach_the_task(misbehaving_cxone):
    result = misbehaving_cxone.result("odd token")
    assert result["failed"], result
    assert Needles().find(json.dumps(result), "result") == []


def test_the_search_finds_a_planted_leak():
    """The search itself: every spelling of a secret, and a token, is found."""
    awkward = "KEY-SECRET-\u00df\u00e9 4=&+%d"      # not ASCII, with a space and URL-special characters
    needles = Needles().plant("secret", awkward).plant("client", CLIENT_SECRET, basic_user=CLIENT_ID)
    basic = base64.b64encode(("%s:%s" % (CLIENT_ID, CLIENT_SECRET)).encode("ascii")).decode("ascii")
    for text in (json.dumps({"msg": awkward}), "password=" + urllib.parse.quote_plus(awkward),
                 "Authorization: Basic " + basic, "Bearer sbxATxyz", repr({"a": awkward}),
                 "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.c2ln"):
        assert needles.find(text, "text"), text
