# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The batch benchmark behind ``make bench``: the collection side by side with what users would write.

Every scenario runs against the same CXone sandbox on this machine, with a fixed added latency
per recording request, at least three times; the table shows the median. It is written to
bench/results/latest.md with the machine's core count and the versions used.

Scenarios (see bench/README.md): raw (a plain script, the practical floor), batch over the
cxone_api connection and direct, a one-agent task, a loop of the module, a loop of
ansible.builtin.uri, WAN-like latency at several concurrencies, 10,000 agents in one task, and
a tenant rate limit (50 requests/s) with fixed and adaptive concurrency.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time

import requests
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "sandbox"))

from cxone_sandbox import SandboxProcess  # noqa: E402  pylint: disable=wrong-import-position

CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-client-secret"
ACCESS_KEY_ID = "BENCHKEY"
ACCESS_KEY_SECRET = "bench-key-secret"
TENANT = "bbbbbbbb-0000-4000-8000-00000000be0c"
API_USER = "99999999-0000-4000-8000-00000000be0c"
MODULE_MARKER = "AnsiballZ_cxone_recording_stop"
# The one-agent task of each mode (keyed by "over the connection"): what a batch costs besides its requests.
ONE_AGENT_ROWS = {True: "one-agent task, conn", False: "one-agent task, direct"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def agent_ids(count):
    return ["be0c%04x-0000-4000-8000-%012d" % (number % 65536, number) for number in range(count)]


def tenant(count):
    agents = agent_ids(count)
    return {
        "tenant_id": TENANT, "area": "na1", "clients": {CLIENT_ID: CLIENT_SECRET},
        "access_keys": [{"id": ACCESS_KEY_ID, "secret": ACCESS_KEY_SECRET, "user_id": API_USER,
                         "permissions": ["record_on_demand"]}],
        "agents": [{"user_id": agent} for agent in agents],
        "calls": [{"user_id": agent} for agent in agents],
    }


@contextlib.contextmanager
def sandbox_process(workdir, config=None):
    """The sandbox in a process of its own, as CXone is: the benchmark's own threads never slow its answers.

    Yields its control client (``.url`` is the issuer URL).
    """
    args = []
    if config is not None:
        config_path = os.path.join(workdir, "sandbox-config.json")
        with open(config_path, "w", encoding="utf-8") as stream:
            json.dump(config, stream)
        args = ["--config", config_path]
    with SandboxProcess(os.path.join(workdir, "sandbox-url"), args) as sandbox:
        yield sandbox.client()


class ModuleSampler:
    """Watches /proc for the module's process: its peak RSS and CPU seconds, as last seen.

    The module's processes are sampled every ``interval``; finding new ones means reading every
    process's command line, which is done five times less often to keep the sampler's own CPU low.
    """

    def __init__(self, marker=MODULE_MARKER, interval=0.02, scan_every=5):
        self.marker = marker.encode()
        self.interval = interval
        self.scan_every = scan_every
        self.peak_rss_kb = 0
        self.cpu = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()

    @property
    def cpu_seconds(self):
        return sum(self.cpu.values())

    def _run(self):
        tick = 0
        while not self._stop.is_set():
            if tick % self.scan_every == 0:
                for pid in os.listdir("/proc"):
                    if pid.isdigit() and pid not in self.cpu and self._is_module(pid):
                        self.cpu[pid] = 0.0
            for pid in list(self.cpu):
                self._sample(pid)
            tick += 1
            self._stop.wait(self.interval)

    def _is_module(self, pid):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as stream:
                return self.marker in stream.read()
        except OSError:
            return False

    def _sample(self, pid):
        """Peak RSS and CPU so far of a module process; a process that has ended keeps its last values."""
        try:
            with open("/proc/%s/status" % pid, encoding="ascii", errors="replace") as stream:
                for line in stream:
                    if line.startswith("VmHWM:"):
                        self.peak_rss_kb = max(self.peak_rss_kb, int(line.split()[1]))
            with open("/proc/%s/stat" % pid, encoding="ascii", errors="replace") as stream:
                fields = stream.read().rsplit(")", 1)[1].split()
            self.cpu[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        except (OSError, ValueError, IndexError):
            pass


class Bench:
    """Runs the scenarios against one sandbox; each returns a row of the table."""

    def __init__(self, control, workdir, latency_ms, runs):
        self.control = control
        self.workdir = workdir
        self.latency_ms = latency_ms
        self.runs = runs
        self.rows = []

    # -- set-up ------------------------------------------------------------------------------

    def prepare(self, count, latency_ms=None, rate_limit=None):
        self.control.reset()
        self.control.add_tenant(tenant(count))
        self.control.set_latency(self.latency_ms if latency_ms is None else latency_ms)
        if rate_limit:
            self.control.settings(tenant_id=TENANT, rate_limit=rate_limit)

    def api_base(self):
        """The tenant's API base URL, as a user would look it up once."""
        answer = requests.get(self.control.url + "/.well-known/cxone-configuration", params={"tenantId": TENANT},
                              timeout=10)
        return answer.json()["api_endpoint"]

    def _write(self, name, data):
        path = os.path.join(self.workdir, name)
        with open(path, "w", encoding="utf-8") as stream:
            yaml.safe_dump(data, stream, sort_keys=False)
        return path

    def inventory(self):
        host = {"ansible_connection": "cxone.recording.cxone_api", "cxone_issuer": self.control.url,
                "cxone_client_id": CLIENT_ID, "cxone_client_secret": CLIENT_SECRET,
                "cxone_access_key_id": ACCESS_KEY_ID, "cxone_access_key_secret": ACCESS_KEY_SECRET}
        return self._write("inventory.yml", {"all": {"children": {"cxone": {"hosts": {"tenant": host}}}}})

    def direct_defaults(self):
        return {"group/cxone.recording.cxone": {
            "issuer": self.control.url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "access_key_id": ACCESS_KEY_ID, "access_key_secret": ACCESS_KEY_SECRET}}

    def playbook(self, plays):
        return self._write("playbook.yml", plays)

    # -- measuring ---------------------------------------------------------------------------

    def run_playbook(self, plays, inventory=None, extra_vars=None):
        """Wall seconds, module CPU seconds, module peak RSS (MB) and token requests of one run."""
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), self.playbook(plays)]
        if inventory:
            command += ["-i", inventory]
        if extra_vars:
            command += ["-e", json.dumps(extra_vars)]
        environment = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
                           ANSIBLE_PERSISTENT_CONTROL_PATH_DIR=os.path.join(self.workdir, "pc"),
                           NO_PROXY="127.0.0.1,localhost")
        with ModuleSampler() as sampler:
            started = time.perf_counter()
            completed = subprocess.run(command, env=environment, capture_output=True, text=True, check=False,
                                       cwd=self.workdir)
            wall = time.perf_counter() - started
        if completed.returncode != 0:
            raise RuntimeError("ansible-playbook failed:\n%s\n%s" % (completed.stdout[-3000:], completed.stderr[-3000:]))
        tokens = self.control.stats()["token_requests"]
        return {"wall": wall, "cpu": sampler.cpu_seconds, "rss_mb": sampler.peak_rss_kb / 1024.0,
                "tokens": tokens["password"] + tokens["refresh_token"]}

    def repeat(self, name, count, setup, run, note=""):
        """Run ``run()`` ``self.runs`` times after ``setup()`` each time; keep the median row."""
        samples = []
        for _run in range(self.runs):
            setup()
            samples.append(run())
        walls = [sample["wall"] for sample in samples]
        median = sorted(samples, key=lambda sample: sample["wall"])[len(samples) // 2]
        row = dict(median, name=name, agents=count, runs=len(samples), spread=(min(walls), max(walls)), note=note)
        extra = samples[-1].get("extra")
        if extra:
            row.update(extra)
        self.rows.append(row)
        print("%-28s %6d agents  median %7.2f s  (%s)" % (name, count, row["wall"], note), flush=True)
        return row

    # -- scenarios ---------------------------------------------------------------------------

    def raw(self, count, concurrency=8):
        script = os.path.join(HERE, "raw_stops.py")

        def run():
            completed = subprocess.run([sys.executable, script, self.control.url, TENANT, CLIENT_ID, CLIENT_SECRET,
                                        ACCESS_KEY_ID, ACCESS_KEY_SECRET, str(concurrency)] + agent_ids(count),
                                       capture_output=True, text=True, check=True)
            answer = json.loads(completed.stdout)
            return {"wall": answer["seconds"], "cpu": answer["cpu_seconds"], "rss_mb": answer["peak_rss_mb"],
                    "tokens": 1}
        return self.repeat("raw (requests, 8 in flight)", count, lambda: self.prepare(count), run,
                           "the practical floor: one login, then the requests only")

    def empty_play(self):
        plays = [{"name": "empty", "hosts": "cxone", "gather_facts": False, "tasks": []}]
        return self.repeat("empty play", 0, lambda: self.prepare(1),
                           lambda: self.run_playbook(plays, self.inventory()), "ansible-playbook's fixed cost")

    def ping(self):
        plays = [{"name": "ping", "hosts": "localhost", "gather_facts": False,
                  "tasks": [{"name": "ping", "ansible.builtin.ping": {}}]}]
        return self.repeat("ping task (localhost)", 0, lambda: self.prepare(1), lambda: self.run_playbook(plays),
                           "a task of the smallest size")

    def stop_plays(self, count, over_connection, concurrency=8, loop=False, adaptive=True, only_when_needed=False):
        ids = agent_ids(count)
        task = {"name": "stop", "cxone.recording.cxone_recording_stop": {"concurrency": concurrency,
                                                                         "adaptive_concurrency": adaptive,
                                                                         "only_when_needed": only_when_needed}}
        if loop:
            task["cxone.recording.cxone_recording_stop"]["user_id"] = "{{ item }}"
            task["loop"] = "{{ ids }}"
        else:
            task["cxone.recording.cxone_recording_stop"]["user_id"] = "{{ ids }}"
        play = {"name": "stop", "hosts": "cxone" if over_connection else "localhost", "gather_facts": False,
                "vars": {"ids": ids}, "tasks": [task]}
        if not over_connection:
            play["module_defaults"] = self.direct_defaults()
        return [play]

    def batch(self, name, count, over_connection, concurrency=8, latency_ms=None, loop=False, note="",
              rate_limit=None, adaptive=True, only_when_needed=False):
        plays = self.stop_plays(count, over_connection, concurrency, loop, adaptive, only_when_needed)
        inventory = self.inventory() if over_connection else None
        row = self.repeat(name, count, lambda: self.prepare(count, latency_ms, rate_limit),
                          lambda: self._with_requests(self.run_playbook(plays, inventory)), note)
        if not loop:
            row["one_agent_row"] = ONE_AGENT_ROWS[over_connection]
        return row

    def _with_requests(self, sample):
        logged = self.control.requests()["requests"]
        operations = [entry for entry in logged if entry.get("operation")]
        sample["extra"] = {"requests": len(operations),
                           "answers_429": sum(1 for entry in operations if entry.get("status") == 429)}
        return sample

    def uri_loop(self, count):
        ids = agent_ids(count)
        plays = [{"name": "uri", "hosts": "localhost", "gather_facts": False, "vars": {"ids": ids}, "tasks": [
            {"name": "login", "ansible.builtin.uri": {
                "url": "%s/auth/token" % self.control.url, "method": "POST", "body_format": "form-urlencoded",
                "body": {"grant_type": "password", "username": ACCESS_KEY_ID, "password": ACCESS_KEY_SECRET},
                "url_username": CLIENT_ID, "url_password": CLIENT_SECRET, "force_basic_auth": True},
             "register": "login", "no_log": True},
            {"name": "stop", "ansible.builtin.uri": {
                "url": "{{ api }}/interaction-recording-management-service/v1/interactions/"
                       "stop-recording-on-demand?userId={{ item }}",
                "method": "POST", "headers": {"Authorization": "Bearer {{ login.json.access_token }}"},
                "status_code": [200, 202]},
             "loop": "{{ ids }}"}]}]

        def run():
            return self.run_playbook(plays, extra_vars={"api": self.api_base()})
        return self.repeat("uri-loop", count, lambda: self.prepare(count), run,
                           "ansible.builtin.uri: a login, then a loop of POSTs")


def render(rows, args, floor):
    """The results table as Markdown."""
    by_name = {row["name"]: row for row in rows}
    raw = next(row for row in rows if row["name"].startswith("raw"))
    empty = by_name["empty play"]

    def times_raw(seconds, agents):
        """``seconds`` for ``agents`` requests as a multiple of raw's time for as many."""
        return seconds / (raw["wall"] * agents / raw["agents"])

    lines = [
        "# Batch benchmark",
        "",
        "Measured %s on %s (%d cores), Python %s, ansible-core %s; added latency %d ms per recording "
        "request; each scenario %d times, median shown." % (
            datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), platform.platform(),
            os.cpu_count(), platform.python_version(), ansible_core_version(), args.latency_ms, args.runs),
        "",
        "| scenario | agents | wall s (min-max) | ms per agent | net of empty play, x raw "
        "| net of one-agent task, x raw | token requests | module CPU s | module peak RSS MB | notes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        per_agent = "%.1f" % (1000.0 * row["wall"] / row["agents"]) if row["agents"] else ""
        ratio = ""
        if row["agents"] and not row["name"].startswith("raw"):
            ratio = "%.2f" % times_raw(row["wall"] - empty["wall"], row["agents"])
        one_agent = by_name.get(row.get("one_agent_row"))
        beyond_one_agent = ""
        if one_agent is not None and row["agents"] > 1:
            beyond_one_agent = "%.2f" % times_raw(row["wall"] - one_agent["wall"], row["agents"] - 1)
        note = row["note"]
        if "requests" in row:
            note += "; %d requests, %d answered 429" % (row["requests"], row["answers_429"])
        if row.get("compare_to") in by_name:
            note += "; x%.2f the wall time of %s" % (row["wall"] / by_name[row["compare_to"]]["wall"], row["compare_to"])
        if row.get("floor"):
            note += "; physical limit %.2f s: x%.2f net of the empty play" % (
                row["floor"], (row["wall"] - empty["wall"]) / row["floor"])
            if one_agent is not None:
                note += ", x%.2f net of the one-agent task" % ((row["wall"] - one_agent["wall"]) / row["floor"])
        lines.append("| %s | %s | %.2f (%.2f-%.2f) | %s | %s | %s | %s | %s | %s | %s |" % (
            row["name"], row["agents"] or "", row["wall"], row["spread"][0], row["spread"][1], per_agent, ratio,
            beyond_one_agent, row["tokens"] if row["agents"] else "", "%.2f" % row["cpu"] if row["cpu"] else "",
            "%.0f" % row["rss_mb"] if row["rss_mb"] else "", note))
    lines += ["", "Physical limit: agents x latency / concurrency (the wire, not the CPU). %s" % floor, ""]
    return "\n".join(lines)


def ansible_core_version():
    from ansible.release import __version__  # pylint: disable=import-outside-toplevel
    return __version__


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=25, help="added latency per recording request")
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (the median is shown)")
    parser.add_argument("--agents", type=int, default=1000, help="agents of the batch scenarios")
    parser.add_argument("--loop-agents", type=int, default=30, help="agents of the loop scenarios")
    parser.add_argument("--large", type=int, default=10000, help="agents of the one-task memory scenario")
    parser.add_argument("--output", default=os.path.join(HERE, "results", "latest.md"))
    args = parser.parse_args()

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cxone-bench-") as workdir, sandbox_process(workdir) as control:
        bench = Bench(control, workdir, args.latency_ms, args.runs)
        bench.raw(args.agents)
        bench.empty_play()
        bench.ping()
        bench.batch("batch-conn", args.agents, True, note="one task over cxone_api, concurrency 8")
        row = bench.batch("batch-conn, only_when_needed", args.agents, True, only_when_needed=True,
                          note="batch-conn with a status read per agent first (every agent needs the stop)")
        row["compare_to"] = "batch-conn"
        bench.batch("batch-direct", args.agents, False, note="one task, connection: local, concurrency 8")
        bench.batch(ONE_AGENT_ROWS[True], 1, True, note="the fixed cost of a task")
        bench.batch(ONE_AGENT_ROWS[False], 1, False, note="the fixed cost of a task")
        bench.batch("module-loop", args.loop_agents, True, loop=True, note="a loop of the module, one agent each")
        bench.uri_loop(args.loop_agents)
        floors = []
        for concurrency in (8, 16, 32):
            floor = args.agents * 0.1 / concurrency
            row = bench.batch("WAN 100 ms, concurrency %d" % concurrency, args.agents, True, concurrency, latency_ms=100,
                              note="batch-conn at WAN-like latency")
            row["floor"] = floor
            floors.append("%d in flight: %.2f s" % (concurrency, floor))
        for adaptive in (False, True):
            bench.batch("rate limit 50/s, %s" % ("adaptive" if adaptive else "fixed 16"), args.agents, True, 16,
                        rate_limit=50, adaptive=adaptive,
                        note="concurrency 16, adaptive_concurrency %s" % str(adaptive).lower())
    # A tenant this large is more than the control API takes in one request: its own sandbox.
    with tempfile.TemporaryDirectory(prefix="cxone-bench-") as workdir, \
            sandbox_process(workdir, {"tenants": [tenant(args.large)]}) as control:
        large = Bench(control, workdir, 0, 1)
        plays = large.stop_plays(args.large, True, 64)
        large.repeat("%d agents, one task" % args.large, args.large, lambda: None,
                     lambda: large._with_requests(large.run_playbook(plays, large.inventory())),
                     "memory: concurrency 64, no latency")
        bench.rows += large.rows
    table = render(bench.rows, args, "; ".join(floors))
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as stream:
        stream.write(table)
    print()
    print(table)
    print("written to %s in %.0f s" % (os.path.relpath(args.output, ROOT), time.perf_counter() - started))


if __name__ == "__main__":
    main()
