# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Benchmark of the consent path: refusals posted at a steady rate, through ansible-rulebook, to CXone.

Each refusal is for a different agent on a call of its own, posted to the listener by the sandbox
playing the IVR (its control call ``/_sandbox/calls/<contact id>/consent``), from a small pool of
threads so that the rate holds while a post is slow. The latency of a refusal runs from the
sandbox's ``consent_posted_at`` (just before its POST) to the moment the sandbox had its answer to
the do-not-record request (``finished`` in its request log): one clock, the sandbox's. Reported: p50,
p90, p99 and the largest latency, refusals lost (no do-not-record on their contact when the run
ends) and contacts sent twice (more than one do-not-record request). Run by ``make
bench-consent``; results go to bench/results/ as JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path[:0] = [os.path.join(ROOT, "tests", "sandbox"), os.path.join(ROOT, "tests", "e2e")]

# pylint: disable=wrong-import-position
from conftest import (  # noqa: E402
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    CLIENT_ID,
    CLIENT_SECRET,
    agent_ids,
    make_tenant,
)
from consent_harness import Ivr, Rulebook, free_port  # noqa: E402
from cxone_sandbox import SandboxServer  # noqa: E402

LISTENER_TOKEN = "bench-listener-token"
# Posts in flight at once: a listener slow to answer must not hold back the next refusals.
POSTING_THREADS = 8


def percentile(values, fraction):
    """The nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def post_at_rate(ivr, refusals, rate):
    """Have the IVR post each (user, contact) on schedule; returns {user: the listener's status, or None}."""
    futures = {}
    with ThreadPoolExecutor(POSTING_THREADS, thread_name_prefix="ivr") as pool:
        start = time.monotonic() + 0.5
        for number, (user_id, contact_id) in enumerate(refusals):
            delay = start + number / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures[user_id] = pool.submit(ivr.refuse, contact_id)
    statuses = {}
    for user_id, future in futures.items():
        try:
            statuses[user_id] = future.result()["listener_status"]
        except Exception as exc:  # pylint: disable=broad-except  # a refusal the IVR could not post counts as lost
            print("warning: the IVR could not post for %s: %s" % (user_id, exc), flush=True)
            statuses[user_id] = None
    return statuses


def measure(control, statuses, contacts):
    """Latencies and counts from the sandbox's request log and state (the sandbox's clock only)."""
    answered = {}
    requests_per_user = {}
    for entry in control.requests()["requests"]:
        if entry["operation"] != "do_not_record":
            continue
        requests_per_user[entry["user_id"]] = requests_per_user.get(entry["user_id"], 0) + 1
        if entry["status"] == 200 and entry["user_id"] not in answered:
            answered[entry["user_id"]] = entry["finished"]
    state = {item["contact_id"]: item for item in control.state()["tenants"][0]["contacts"]}
    latencies = [answered[user] - state[contacts[user]]["consent_posted_at"] for user, status in statuses.items()
                 if status == 202 and user in answered]
    lost = sorted(user for user, status in statuses.items() if status != 202 or not state[contacts[user]]["do_not_record"])
    twice = sorted(user for user, count in requests_per_user.items() if count > 1)
    return latencies, lost, twice


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=10.0, help="refusals per second (default 10)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of posting (default 60)")
    parser.add_argument("--batch-window", type=float, default=None,
                        help="the source's batch_window (default: the rulebook's default)")
    parser.add_argument("--batch-interval", type=float, default=None,
                        help="the source's batch_interval (default: the rulebook's default)")
    parser.add_argument("--output-dir", default=os.path.join(ROOT, "bench", "results"))
    options = parser.parse_args()

    count = int(options.rate * options.duration)
    agents = agent_ids(count, prefix="be7c")
    variables = {"cxone_consent_host": "127.0.0.1", "cxone_consent_port": free_port(),
                 "cxone_consent_token": LISTENER_TOKEN}
    if options.batch_window is not None:
        variables["cxone_consent_batch_window"] = options.batch_window
    if options.batch_interval is not None:
        variables["cxone_consent_batch_interval"] = options.batch_interval
    with SandboxServer() as server:
        control = server.client()
        control.reset({"tenants": [make_tenant(agents=agents, calls=agents, recording_policy="voice")]})
        contacts = {agent["user_id"]: agent["contact_id"]
                    for agent in control.state()["tenants"][0]["agents"]}
        with tempfile.TemporaryDirectory(prefix="bench-consent-") as workdir:
            rulebook = Rulebook(workdir, variables, {
                "CXONE_ISSUER": server.url,
                "CXONE_CLIENT_ID": CLIENT_ID, "CXONE_CLIENT_SECRET": CLIENT_SECRET,
                "CXONE_ACCESS_KEY_ID": ACCESS_KEY_ID, "CXONE_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET})
            rulebook.start()
            try:
                ivr = Ivr(control, "http://127.0.0.1:%d/consent" % variables["cxone_consent_port"], LISTENER_TOKEN)
                print("posting %d refusals at %s/s ..." % (count, options.rate), flush=True)
                statuses = post_at_rate(ivr, [(agent, contacts[agent]) for agent in agents], options.rate)
                try:
                    rulebook.wait_until_done(agents, timeout=120)
                except AssertionError as exc:
                    print("warning: %s" % exc, flush=True)
                latencies, lost, twice = measure(control, statuses, contacts)
                batches = rulebook.batches_emitted()
                runs = rulebook.runs_finished()
            finally:
                rulebook.stop()

    result = {
        "rate_per_s": options.rate, "duration_s": options.duration, "refusals": count,
        "batch_window": options.batch_window,
        "batch_interval": options.batch_interval, "batches": batches, "module_runs": runs,
        "mean_batch_size": round(count / batches, 2) if batches else None,
        "latency_s": {name: round(percentile(latencies, fraction), 3) if latencies else None
                      for name, fraction in (("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("max", 1.0))},
        "lost": len(lost), "lost_users": lost[:20], "sent_twice": len(twice), "sent_twice_users": twice[:20],
        "goal": {"p99_s": 2.5, "lost": 0, "sent_twice": 0}, "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2), "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    os.makedirs(options.output_dir, exist_ok=True)
    path = os.path.join(options.output_dir, "consent-%s.json" % time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(result, stream, indent=2)
    print(json.dumps(result, indent=2))
    print("written to %s" % path)
    met = (latencies and result["latency_s"]["p99"] <= 2.5 and not lost and not twice)
    print("goal (p99 <= 2.5 s, 0 lost, 0 twice): %s" % ("met" if met else "NOT met"))
    return 0 if not lost and not twice else 1


if __name__ == "__main__":
    sys.exit(main())
