# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A module's task on a batch of agents, from its options to its result, with bounded concurrency.

For internal use by the cxone.recording collection only; not a public API.

``run_agent_task`` is the whole flow, top to bottom; what differs between modules is the task
object it is given (``_recording.RecordingTask``, the ``cxone_recording_info`` module's
``StatusTask``), which has:

- ``check_options(params, user_ids)``: the module's other options, checked before any request
  (raises ``CxoneError`` naming the option);
- ``act(session, user_id)``: everything the task does for one agent, giving its entry;
- ``failed_entry(user_id, http_status, msg)``: the entry of an agent that failed outside ``act``;
- ``result(entries)``: the module's return value.

A batch never loses an agent: whatever fails (a bad option, a refused login, a fault of this
code for one agent), every user id comes back with its own entry.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.cxone.recording.plugins.module_utils._errors import CxoneError
from ansible_collections.cxone.recording.plugins.module_utils._options import check_concurrency, normalise_user_ids
from ansible_collections.cxone.recording.plugins.module_utils._session import hide_url_credentials, open_session


def run_agent_task(module, task):
    """The module's result: ``task`` done for every agent of the ``user_id`` option.

    Wrong user ids fail the task (there is no agent to report on). Any later failure (a bad
    option, a refused login, no API found) fails each agent with that reason.
    """
    hide_url_credentials(module)
    params = module.params
    try:
        user_ids = normalise_user_ids(params["user_id"])
    except CxoneError as exc:
        return dict(exc.to_fail_json(), failed=True, changed=False)
    try:
        concurrency = check_concurrency(params["concurrency"])
        task.check_options(params, user_ids)
        with open_session(module, min(concurrency, len(user_ids)), params["adaptive_concurrency"]) as session:
            entries = act_for_each(task, session, user_ids, concurrency)
    except CxoneError as exc:
        entries = [task.failed_entry(user_id, getattr(exc, "status", None), exc.msg) for user_id in user_ids]
    return task.result(entries)


def act_for_each(task, session, user_ids, concurrency):
    """``task.act`` for every agent, up to ``concurrency`` at once; entries in input order."""
    def act(user_id):
        try:
            return task.act(session, user_id)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # A fault of this code, not an answer of CXone's: the agent still gets its entry. The
            # error's type is named, not its text, which could quote a request.
            return task.failed_entry(user_id, None, "user %s: unexpected error (%s); the request may or may not "
                                     "have reached CXone" % (user_id, type(exc).__name__))

    if concurrency == 1 or len(user_ids) == 1:
        return [act(user_id) for user_id in user_ids]
    # Executor.map keeps the input order.
    with ThreadPoolExecutor(max_workers=min(concurrency, len(user_ids)), thread_name_prefix="cxone") as pool:
        return list(pool.map(act, user_ids))
