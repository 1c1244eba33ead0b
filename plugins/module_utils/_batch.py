# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A task acting on a batch of agents: one entry per agent, with bounded concurrency.

For internal use by the cxone.recording collection only; not a public API.

A batch never loses an agent: whatever fails (a bad setting, a refused login, a fault of this
code for one agent), every user id comes back with its own entry.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.cxone.recording.plugins.module_utils._errors import CxoneError
from ansible_collections.cxone.recording.plugins.module_utils._options import check_concurrency, normalise_user_ids
from ansible_collections.cxone.recording.plugins.module_utils._session import hide_url_credentials, open_session


def run_batch(user_ids, send_one, on_fault, concurrency):
    """``send_one(user_id)`` for every user id, up to ``concurrency`` at once; entries in input order.

    ``on_fault(user_id, exc)`` makes the entry of an agent whose ``send_one`` raised
    (a fault of this code, not an answer of CXone's), so that the agent still has one.
    """
    def send(user_id):
        try:
            return send_one(user_id)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            return on_fault(user_id, exc)

    if concurrency == 1 or len(user_ids) == 1:
        return [send(user_id) for user_id in user_ids]
    # Executor.map keeps the input order.
    with ThreadPoolExecutor(max_workers=min(concurrency, len(user_ids)), thread_name_prefix="cxone") as pool:
        return list(pool.map(send, user_ids))


def run_for_agents(module, act, failed_entry, check_options=None):
    """The flow of a module acting on the agents of its ``user_id`` option.

    ``act(session, user_id, options)`` makes one agent's entry; ``failed_entry(user_id, status,
    msg)`` the entry of an agent that failed before or outside ``act``; ``check_options(params,
    user_ids)`` checks the module's other options before any request. Returns ``(entries, None)``,
    or ``(None, failure)`` when the user ids themselves are wrong: then there is no agent to
    report on. Any later failure (a bad setting, a refused login, no API found) fails each agent
    with that reason, so that every user id has its entry.
    """
    hide_url_credentials(module)
    params = module.params
    try:
        user_ids = normalise_user_ids(params["user_id"])
    except CxoneError as exc:
        return None, dict(exc.to_fail_json(), failed=True, changed=False)

    def on_fault(user_id, exc):
        # The error's type is named, not its text, which could quote a request.
        return failed_entry(user_id, None, "user %s: unexpected error (%s); the request may or may not have "
                            "reached CXone" % (user_id, type(exc).__name__))

    try:
        concurrency = check_concurrency(params["concurrency"])
        options = check_options(params, user_ids) if check_options else None
        with open_session(module, min(concurrency, len(user_ids)), params["adaptive_concurrency"]) as session:
            return run_batch(user_ids, lambda user_id: act(session, user_id, options), on_fault, concurrency), None
    except CxoneError as exc:
        return [failed_entry(user_id, getattr(exc, "status", None), exc.msg) for user_id in user_ids], None
