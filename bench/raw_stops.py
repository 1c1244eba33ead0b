# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The benchmark's floor: stop recording for many agents with plain requests, nothing else.

Usage: raw_stops.py ISSUER TENANT CLIENT_ID CLIENT_SECRET KEY_ID KEY_SECRET CONCURRENCY USER_ID...
Logs in once, then sends the stops with one requests.Session and CONCURRENCY requests in
flight; prints JSON with the seconds the stops took, CPU seconds and peak RSS.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from requests.adapters import HTTPAdapter

STOP_PATH = "/interaction-recording-management-service/v1/interactions/stop-recording-on-demand"


def main(issuer, tenant_id, client_id, client_secret, key_id, key_secret, concurrency, user_ids):
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", HTTPAdapter(pool_maxsize=concurrency))
    token_endpoint = session.get(issuer + "/.well-known/openid-configuration", timeout=30).json()["token_endpoint"]
    token = session.post(token_endpoint, auth=(client_id, client_secret), timeout=30,
                         data={"grant_type": "password", "username": key_id, "password": key_secret}).json()
    api = session.get(issuer + "/.well-known/cxone-configuration", params={"tenantId": tenant_id},
                      timeout=30).json()["api_endpoint"]
    headers = {"Authorization": "Bearer " + token["access_token"]}

    def stop(user_id):
        return session.post(api + STOP_PATH, params={"userId": user_id}, headers=headers, timeout=30).status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        statuses = list(pool.map(stop, user_ids))
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"seconds": seconds, "ok": sum(1 for status in statuses if status in (200, 202)),
                      "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024.0}))


if __name__ == "__main__":
    ARGS = sys.argv[1:]
    main(*ARGS[:6], int(ARGS[6]), ARGS[7:])
