# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Benchmark of the consent path: refusals posted to the listener, through ansible-rulebook, to CXone.

Each genuine refusal is for a different agent on a call of its own, posted to the listener by the
sandbox playing the IVR (its control call ``/_sandbox/calls/<contact id>/consent``), and posted
again after any answer but a 2xx, as a Studio script does. Scenarios, each with an
ansible-rulebook of its own:

- ``steady``: refusals at a steady rate (``--rate``, ``--duration``) through ``consent_refused``.
- ``restart``: a steady stream through ``consent_refused_persistent`` (an H2 store), and a SIGTERM
  to ansible-rulebook and its runs in the middle of it, then a start again (an activation restart);
  ``--restart-without-persistence`` runs ``consent_refused`` instead, to see what that loses.
- ``flood``: genuine refusals at a low rate through ``consent_refused`` while a flood of distinct
  refusals from a few noisy agent ids, far above the rate of the actions, goes on (posted from a
  process of its own), and while ``--stalled`` connections send half a request and then nothing.

The latency of a refusal runs from the sandbox's ``posted_at`` of its first post (just before the
POST) to the moment the sandbox had its answer to the do-not-record request (``finished`` in its
request log): one clock, the sandbox's. Reported per scenario: p50, p90, p99 and the largest
latency; ``lost``: refusals never answered 202, or answered 202 and never acted on when the run
ends; ``sent_twice``: contacts with more than one do-not-record request received by the sandbox,
whatever its answer (each agent of a run is on one contact, so per agent is per contact). The
restart scenario also reports ``downtime_s`` (from the SIGTERM until the restarted rule engine
takes events, by its log on the same machine's clock) and ``latency_after_restart_s``: the same
latencies with a refusal that was pending at the SIGTERM or posted during the downtime measured
from the end of the downtime, since nothing can act on it before; its goal is judged on that
p99, with ``latency_s`` (from the first post) reported next to it. The floor is what one
``run_module`` costs on this machine, measured in the same run: the wrapper playbook
ansible-rulebook writes for ``run_module``, run with ansible-runner as ansible-rulebook runs it,
from its start to the sandbox's answer. The goal: lost 0 and sent twice 0 in every scenario, and
p99 within 1.5 s of the floor. Run by ``make bench-consent``; results go to bench/results/ as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path[:0] = [os.path.join(ROOT, "tests", "sandbox"), os.path.join(ROOT, "tests", "utils"), os.path.join(ROOT, "tests", "e2e")]

# pylint: disable=wrong-import-position
import aiohttp  # noqa: E402  (ansible-rulebook's; the bench runs with .venv-eda)
import ansible_runner  # noqa: E402
import yaml  # noqa: E402
from e2e_helpers import (  # noqa: E402
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    CLIENT_ID,
    CLIENT_SECRET,
    agent_ids,
    make_tenant,
)
from consent_harness import PERSISTENT_RULEBOOK, Ivr, Rulebook, free_port, stalled_connections, wait_for  # noqa: E402
from cxone_sandbox import SandboxServer  # noqa: E402

LISTENER_TOKEN = "bench-listener-token"
# Posts in flight at once: a post waits for its hand-over, and a Studio retry holds its thread.
POSTING_THREADS = 48
GOAL_ABOVE_FLOOR_S = 1.5
FLOOR_RUNS = 3
SCENARIOS = ("steady", "restart", "flood")
# Logged by the rule engine when it starts again with matches whose action had not finished.
RECOVERED = re.compile(r"Found (\d+) pending matching events")
# Agent ids a flood posts for: each gets more refusals than an agent may have waiting.
NOISY_AGENTS = 4


def percentile(values, fraction):
    """The nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def cxone_environment(server):
    return {"CXONE_ISSUER": server.url, "CXONE_CLIENT_ID": CLIENT_ID, "CXONE_CLIENT_SECRET": CLIENT_SECRET,
            "CXONE_ACCESS_KEY_ID": ACCESS_KEY_ID, "CXONE_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET}


def do_not_record_answers(control):
    """user id -> the sandbox's ``finished`` of each do-not-record request for that agent."""
    answers = {}
    for entry in control.requests()["requests"]:
        if entry["operation"] == "do_not_record":
            answers.setdefault(entry["user_id"], []).append(entry)
    return answers


def measure_floor(server, control, agent, workdir):
    """Seconds from the start of one run_module's wrapper playbook (ansible-runner) to the sandbox's answer."""
    contact_id = control.start_call(agent)["contact_id"]
    private = tempfile.mkdtemp(prefix="floor-", dir=workdir)
    os.makedirs(os.path.join(private, "project"))
    # What ansible-rulebook's run_module writes (ansible_rulebook/action/run_module.py).
    wrapper = [{"name": "wrapper", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Module wrapper", "register": "module_result", "cxone.recording.cxone_do_not_record": {
            "user_id": [agent], "expected_contacts": {agent: contact_id}, "no_active_call": "skip"}},
        {"name": "save result", "ansible.builtin.set_fact": {"module_result": "{{ module_result }}", "cacheable": True}}]}]
    with open(os.path.join(private, "project", "wrapper.yml"), "w", encoding="utf-8") as stream:
        yaml.safe_dump(wrapper, stream)
    inventory = os.path.join(private, "inventory.yml")
    with open(inventory, "w", encoding="utf-8") as stream:
        stream.write("all: {}\n")
    environment = dict(cxone_environment(server), ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    started = time.time()
    run = ansible_runner.run(private_data_dir=private, playbook="wrapper.yml", inventory=inventory, quiet=True,
                             envvars=environment)
    if run.rc != 0:
        raise RuntimeError("the floor's run failed (rc %s): see %s" % (run.rc, private))
    finished = [entry["finished"] for entry in do_not_record_answers(control).get(agent, []) if entry["status"] == 200]
    return finished[0] - started


def post_at_rate(ivr, refusals, rate, during=None):
    """The IVR posts each (user, contact) on schedule, again after any answer but 2xx.

    Returns {user: every answer of its posts}. ``during(elapsed)``, when given, is called by the
    scheduling thread between posts (a restart in the middle of the stream).
    """
    futures = {}
    with ThreadPoolExecutor(POSTING_THREADS, thread_name_prefix="ivr") as pool:
        start = time.monotonic() + 0.5
        for number, (user_id, contact_id) in enumerate(refusals):
            delay = start + number / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures[user_id] = pool.submit(ivr.refuse_until_accepted, contact_id)
            if during is not None:
                during(time.monotonic() - start)
    answers = {}
    for user_id, future in futures.items():
        try:
            answers[user_id] = future.result()
        except Exception as exc:  # pylint: disable=broad-except  # a refusal the IVR could not post counts as lost
            print("warning: the IVR could not post for %s: %s" % (user_id, exc), flush=True)
            answers[user_id] = []
    return answers


def accepted(attempts):
    return bool(attempts) and attempts[-1]["listener_status"] == 202


def latency_summary(latencies):
    return {name: round(percentile(latencies, fraction), 3) if latencies else None
            for name, fraction in (("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("max", 1.0))}


def measure(control, answers, contacts, rulebook, wait_s=120, restart=None):
    """Latencies and counts from the sandbox's request log and state (the sandbox's clock only).

    ``restart``, when given, is (SIGTERM sent, rule engine taking events again), in seconds since
    the epoch: a refusal pending at the SIGTERM or posted until the engine is back cannot be acted
    on before that, so ``latency_after_restart_s`` measures it from the moment the engine was back.
    ``latency_s`` always measures every refusal from its first post.
    """
    def contacts_state():
        return {item["contact_id"]: item for item in control.state()["tenants"][0]["contacts"]}
    try:
        wait_for(lambda: all(contacts_state()[contacts[user]]["do_not_record"] for user, attempts in answers.items()
                             if accepted(attempts)), wait_s, "do-not-record on every contact answered 202", interval=0.5)
        # A second do-not-record would come from a run still going: counted once every run has ended.
        wait_for(lambda: not rulebook.runs_in_flight(), wait_s, "the module runs to end", interval=0.5)
    except AssertionError as exc:
        print("warning: %s" % exc, flush=True)
    state = contacts_state()
    requests = do_not_record_answers(control)
    latencies, after_restart, held = [], [], 0
    for user, attempts in answers.items():
        done = [entry["finished"] for entry in requests.get(user, []) if entry["status"] == 200]
        if accepted(attempts) and done:
            posted = attempts[0]["posted_at"]
            latencies.append(done[0] - posted)
            if restart is not None and posted < restart[1] and done[0] > restart[0]:
                held += 1
                posted = max(posted, restart[1])
            after_restart.append(done[0] - posted)
    lost = sorted(user for user, attempts in answers.items()
                  if not accepted(attempts) or not state[contacts[user]]["do_not_record"])
    # Every do-not-record request the sandbox received for the agent's one contact of the run, whatever
    # its answer (a request cut off by the restart counts: CXone got it).
    twice = sorted(user for user in answers if len(requests.get(user, [])) > 1)
    result = {
        "refusals": len(answers),
        "posts": sum(len(attempts) for attempts in answers.values()),
        "answered_503": sum(1 for attempts in answers.values() for answer in attempts if answer["listener_status"] == 503),
        "unanswered_posts": sum(1 for attempts in answers.values() for answer in attempts if answer["listener_status"] is None),
        "latency_s": latency_summary(latencies),
        "lost": len(lost), "lost_users": lost[:20], "sent_twice": len(twice), "sent_twice_users": twice[:20],
        "do_not_record_requests": sum(len(requests.get(user, [])) for user in answers),
    }
    if restart is not None:
        result.update(downtime_s=round(restart[1] - restart[0], 3), held_by_restart=held,
                      latency_after_restart_s=latency_summary(after_restart))
    return result


def start_rulebook(server, workdir, variables, max_concurrent_actions, **options):
    rulebook = Rulebook(workdir, dict({"cxone_consent_host": "127.0.0.1", "cxone_consent_port": free_port(),
                                       "cxone_consent_token": LISTENER_TOKEN}, **variables),
                        cxone_environment(server), max_concurrent_actions=max_concurrent_actions, **options)
    rulebook.start()
    return rulebook


def listener_url(rulebook):
    return "http://127.0.0.1:%d/consent" % rulebook.variables["cxone_consent_port"]


def run_steady(server, control, workdir, agents, contacts, options):
    variables = {}
    if options.batch_window is not None:
        variables["cxone_consent_batch_window"] = options.batch_window
    if options.batch_interval is not None:
        variables["cxone_consent_batch_interval"] = options.batch_interval
    rulebook = start_rulebook(server, workdir, variables, options.max_concurrent_actions)
    try:
        ivr = Ivr(control, listener_url(rulebook), LISTENER_TOKEN)
        print("steady: %d refusals at %s/s ..." % (len(agents), options.rate), flush=True)
        answers = post_at_rate(ivr, [(agent, contacts[agent]) for agent in agents], options.rate)
        result = measure(control, answers, contacts, rulebook)
        result.update(rate_per_s=options.rate, batches=rulebook.batches_emitted(), module_runs=rulebook.runs_finished())
        return result
    finally:
        rulebook.stop()


def run_restart(server, control, workdir, agents, contacts, options):
    if options.restart_without_persistence:
        rulebook = start_rulebook(server, workdir, {}, options.max_concurrent_actions)
    else:
        rulebook = start_rulebook(server, workdir, {"drools_db_file_path": os.path.join(workdir, "rule-engine")},
                                  options.max_concurrent_actions,
                                  rulebook=PERSISTENT_RULEBOOK, persistence_id="bench-consent")
    restarts = []
    moments = {}

    def restart():
        moments["sigterm"] = time.time()
        rulebook.restart()
        # When its rule engine took events again (its log's clock), else when that was seen.
        moments["back"] = rulebook.ready_at() or time.time()

    def restart_once(elapsed):
        if not restarts and elapsed >= options.restart_at:
            print("restart: SIGTERM to ansible-rulebook after %.1f s ..." % elapsed, flush=True)
            # In a thread of its own: the stream goes on while ansible-rulebook starts again.
            restarts.append(threading.Thread(target=restart, name="restart"))
            restarts[0].start()

    try:
        ivr = Ivr(control, listener_url(rulebook), LISTENER_TOKEN)
        print("restart: %d refusals at %s/s, a restart at %s s ..."
              % (len(agents), options.restart_rate, options.restart_at), flush=True)
        answers = post_at_rate(ivr, [(agent, contacts[agent]) for agent in agents], options.restart_rate, restart_once)
        for thread in restarts:
            thread.join()
        result = measure(control, answers, contacts, rulebook,
                         restart=(moments["sigterm"], moments["back"]) if "back" in moments else None)
        output = rulebook.output()
        result.update(rate_per_s=options.restart_rate, restart_at_s=options.restart_at, rulebook=rulebook.rulebook,
                      recovered_matches=sum(int(found) for found in RECOVERED.findall(output)))
        return result
    finally:
        rulebook.stop()


async def _flood(url, rate, duration, contact_base):
    """Distinct refusals from a few agent ids at ``rate`` per second, each answer awaited by its own task."""
    statuses = {}
    noisy = agent_ids(NOISY_AGENTS, prefix="f10d")
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def post(number):
            body = {"userId": noisy[number % NOISY_AGENTS], "contactId": str(contact_base + number), "consent": "refused"}
            try:
                async with session.post(url, json=body, headers={"Authorization": "Bearer " + LISTENER_TOKEN}) as answer:
                    status = answer.status
            except aiohttp.ClientError:
                status = None
            statuses[status] = statuses.get(status, 0) + 1

        tasks = []
        start = time.monotonic()
        number = 0
        while time.monotonic() - start < duration:
            due = start + number / rate
            if due > time.monotonic():
                await asyncio.sleep(due - time.monotonic())
            tasks.append(asyncio.ensure_future(post(number)))
            number += 1
        await asyncio.gather(*tasks)
    return dict((str(status), count) for status, count in statuses.items())


def flood_from_another_process(url, rate, duration, contact_base):
    return asyncio.run(_flood(url, rate, duration, contact_base))


def run_flood(server, control, workdir, agents, contacts, options):
    rulebook = start_rulebook(server, workdir, {}, options.max_concurrent_actions)
    stalled = []
    try:
        url = listener_url(rulebook)
        ivr = Ivr(control, url, LISTENER_TOKEN)
        stalled = stalled_connections(int(url.split(":")[2].split("/")[0]), options.stalled)
        print("flood: %d genuine refusals at %s/s, %s flood refusals/s from %d agent ids, %d stalled connections ..."
              % (len(agents), options.flood_genuine_rate, options.flood_rate, NOISY_AGENTS, options.stalled), flush=True)
        duration = len(agents) / options.flood_genuine_rate
        # In a process of its own, as a flood comes from elsewhere: in this one it would hold the
        # interpreter the sandbox answers in, and its latencies would measure the flood generator.
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as flooder:
            flooding = flooder.submit(flood_from_another_process, url, options.flood_rate, duration, 900000000000)
            answers = post_at_rate(ivr, [(agent, contacts[agent]) for agent in agents], options.flood_genuine_rate)
            flood = flooding.result()
        result = measure(control, answers, contacts, rulebook)
        result.update(genuine_rate_per_s=options.flood_genuine_rate, flood_rate_per_s=options.flood_rate,
                      flood_answers=flood, stalled_connections=options.stalled, batches=rulebook.batches_emitted())
        return result
    finally:
        for connection in stalled:
            connection.close()
        rulebook.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", action="append", choices=SCENARIOS,
                        help="run only this scenario (repeatable; default: all)")
    parser.add_argument("--rate", type=float, default=10.0, help="steady: refusals per second (default 10)")
    parser.add_argument("--duration", type=float, default=60.0, help="steady: seconds of posting (default 60)")
    parser.add_argument("--batch-window", type=float, default=None,
                        help="steady: the source's batch_window (default: the rulebook's default)")
    parser.add_argument("--batch-interval", type=float, default=None,
                        help="steady: the source's batch_interval (default: the rulebook's default)")
    parser.add_argument("--restart-rate", type=float, default=5.0, help="restart: refusals per second (default 5)")
    parser.add_argument("--restart-duration", type=float, default=20.0, help="restart: seconds of posting (default 20)")
    parser.add_argument("--restart-at", type=float, default=8.0, help="restart: seconds into the stream (default 8)")
    parser.add_argument("--restart-without-persistence", action="store_true",
                        help="restart: consent_refused without persistence instead (what a restart loses then)")
    parser.add_argument("--flood-genuine-rate", type=float, default=2.0,
                        help="flood: genuine refusals per second (default 2)")
    parser.add_argument("--flood-duration", type=float, default=20.0, help="flood: seconds (default 20)")
    parser.add_argument("--flood-rate", type=float, default=200.0,
                        help="flood: flood refusals per second (default 200)")
    parser.add_argument("--stalled", type=int, default=200, help="flood: stalled connections (default 200)")
    parser.add_argument("--max-concurrent-actions", type=int, default=2,
                        help="ansible-rulebook's --max-concurrent-actions in every scenario (default 2)")
    parser.add_argument("--output-dir", default=os.path.join(ROOT, "bench", "results"))
    options = parser.parse_args()
    scenarios = options.scenario or list(SCENARIOS)

    counts = {"steady": int(options.rate * options.duration),
              "restart": int(options.restart_rate * options.restart_duration),
              "flood": int(options.flood_genuine_rate * options.flood_duration)}
    agents = {name: agent_ids(counts[name], prefix=prefix) for name, prefix in
              (("steady", "be7c"), ("restart", "be7d"), ("flood", "be7e"))}
    floor_agents = agent_ids(FLOOR_RUNS, prefix="f100")
    on_calls = [agent for name in scenarios for agent in agents[name]]
    result = {"scenarios": {}, "cpus": os.cpu_count()}
    with SandboxServer() as server:
        control = server.client()
        control.reset({"tenants": [make_tenant(agents=on_calls + floor_agents + agent_ids(NOISY_AGENTS, prefix="f10d"),
                                               calls=on_calls, recording_policy="voice")]})
        contacts = {agent["user_id"]: agent["contact_id"] for agent in control.state()["tenants"][0]["agents"]}
        with tempfile.TemporaryDirectory(prefix="bench-consent-") as workdir:
            floors = [measure_floor(server, control, agent, workdir) for agent in floor_agents]
            result["floor_s"] = round(statistics.median(floors), 3)
            result["floor_runs_s"] = [round(floor, 3) for floor in floors]
            print("floor (one run_module of the wrapper playbook): %s s" % result["floor_s"], flush=True)
            runners = {"steady": run_steady, "restart": run_restart, "flood": run_flood}
            for name in scenarios:
                scenario_dir = os.path.join(workdir, name)
                os.makedirs(scenario_dir)
                measured = runners[name](server, control, scenario_dir, agents[name], contacts, options)
                # The restart's goal counts a refusal the restart held from the moment the engine was back
                # (the downtime is reported next to it); every other refusal from its first post.
                p99 = measured.get("latency_after_restart_s", measured["latency_s"])["p99"]
                measured["p99_above_floor_s"] = round(p99 - result["floor_s"], 3) if p99 is not None else None
                measured["goal_met"] = bool(p99 is not None and p99 <= result["floor_s"] + GOAL_ABOVE_FLOOR_S
                                            and not measured["lost"] and not measured["sent_twice"])
                result["scenarios"][name] = measured
                print("%s: %s" % (name, json.dumps(measured)), flush=True)

    result.update(goal={"p99_above_floor_s": GOAL_ABOVE_FLOOR_S, "lost": 0, "sent_twice": 0},
                  load_average_1m=round(os.getloadavg()[0], 2),
                  finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    os.makedirs(options.output_dir, exist_ok=True)
    path = os.path.join(options.output_dir, "consent-%s.json" % time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(result, stream, indent=2)
    print(json.dumps(result, indent=2))
    print("written to %s" % path)
    print("load average (1 min) at the end: %s; the goal: p99 <= floor + %s s, lost 0, sent twice 0"
          % (result["load_average_1m"], GOAL_ABOVE_FLOOR_S))
    for name, measured in result["scenarios"].items():
        line = ("%-8s p50 %s s, p99 %s s (floor %s s), lost %d, sent twice %d"
                % (name, measured["latency_s"]["p50"], measured["latency_s"]["p99"], result["floor_s"], measured["lost"],
                   measured["sent_twice"]))
        if "latency_after_restart_s" in measured:
            line += ("; downtime %s s, %d refusals held by it; from the engine's return: p50 %s s, p99 %s s"
                     % (measured["downtime_s"], measured["held_by_restart"], measured["latency_after_restart_s"]["p50"],
                        measured["latency_after_restart_s"]["p99"]))
        print("%s: goal %s" % (line, "met" if measured["goal_met"] else "NOT met"))
    return 0 if all(not measured["lost"] and not measured["sent_twice"] for measured in result["scenarios"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
