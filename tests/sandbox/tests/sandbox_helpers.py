# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the tests share: the standard test tenant and a minimal CXone client (what the code under test does over HTTP)."""

from __future__ import annotations

import requests

CLIENT_ID = "test-client"
CLIENT_SECRET = "test-client-secret"
KEY_ID = "TESTKEY"
KEY_SECRET = "test-key-secret"
API_USER = "99999999-0000-4000-8000-000000000001"
RECORDING_PATH = "/interaction-recording-management-service/v1/interactions/"
ENDPOINTS = {"start": "start-recording-on-demand", "stop": "stop-recording-on-demand", "do_not_record": "do-not-record",
             "mask": "mask", "unmask": "unmask"}
STATUS_ENDPOINT = "get-recording-status"
USERS_PATH = "/user-management/v1/users"
TEAMS_SEARCH_PATH = "/user-management/v4/teams/search"


def make_tenant(tenant_id="tenant-a", area="na1", agents=(), calls=(), permissions=("record_on_demand",), **settings):
    """A tenant with the test client and access key, ``agents`` and ``calls`` given as user ids.

    ``settings`` are further tenant fields (``users``, ``teams``, ``recording_policy`` ...).
    """
    tenant = {"tenant_id": tenant_id, "area": area, "clients": {CLIENT_ID: CLIENT_SECRET},
              "access_keys": [{"id": KEY_ID, "secret": KEY_SECRET, "user_id": API_USER, "permissions": list(permissions)}],
              "agents": [a if isinstance(a, dict) else {"user_id": a, "name": "Agent %s" % a} for a in agents],
              "calls": [{"user_id": c} for c in calls]}
    tenant.update(settings)
    return tenant


class CXone:
    """What the code under test does, over HTTP: log in, discover, call the operations (Record on Demand and masking)."""

    def __init__(self, base_url, api_url, verify=True):
        self.base = base_url        # the issuer origin: discovery and tokens
        self.api = api_url          # the API origin: the operations, under /api-<area>
        self.session = requests.Session()
        self.session.verify = verify
        self.session.trust_env = False

    def token_request(self, data, client=(CLIENT_ID, CLIENT_SECRET), **kwargs):
        return self.session.post(self.base + "/auth/token", data=data, auth=client, timeout=10, **kwargs)

    def login(self, key_id=KEY_ID, key_secret=KEY_SECRET, client=(CLIENT_ID, CLIENT_SECRET)):
        answer = self.token_request({"grant_type": "password", "username": key_id, "password": key_secret}, client=client)
        assert answer.status_code == 200, answer.text
        return answer.json()["access_token"]

    def operation(self, operation, user_id, token, media_type=None, area="na1", timeout=10, **params):
        if user_id is not None:
            params["userId"] = user_id
        if media_type is not None:
            params["mediaType"] = media_type
        headers = {} if token is None else {"Authorization": "Bearer " + token}
        return self.session.post(self.api + "/api-" + area + RECORDING_PATH + ENDPOINTS[operation], params=params, headers=headers, timeout=timeout)

    def _headers(self, token):
        return {} if token is None else {"Authorization": "Bearer " + token}

    def status(self, user_id, token, area="na1", **params):
        """GET get-recording-status for ``user_id`` (left out when None)."""
        if user_id is not None:
            params["userId"] = user_id
        return self.session.get(self.api + "/api-" + area + RECORDING_PATH + STATUS_ENDPOINT, params=params,
                                headers=self._headers(token), timeout=10)

    def users(self, token, area="na1", **params):
        """GET User Hub's list of users."""
        return self.session.get(self.api + "/api-" + area + USERS_PATH, params=params, headers=self._headers(token), timeout=10)

    def search_teams(self, token, search, area="na1"):
        """POST User Hub's teams search with ``search`` as the JSON body."""
        return self.session.post(self.api + "/api-" + area + TEAMS_SEARCH_PATH, json=search, headers=self._headers(token), timeout=10)
