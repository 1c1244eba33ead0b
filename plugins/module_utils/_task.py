# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What one task of a recording module does: its argument spec, validation and the batch."""

from __future__ import annotations

from ansible_collections.cxone.recording.plugins.module_utils._errors import CxoneError
from ansible_collections.cxone.recording.plugins.module_utils._recording import (
    MEDIA_TYPES,
    NO_ACTIVE_CALL_CHOICES,
    START,
    check_concurrency,
    failed_entries,
    normalise_user_ids,
    planned_entries,
    run_batch,
    task_result,
)
from ansible_collections.cxone.recording.plugins.module_utils._session import open_session
from ansible_collections.cxone.recording.plugins.module_utils._settings import connection_argument_spec

DEFAULT_CONCURRENCY = 8


def argument_spec(operation):
    """The module's options: the batch options, ``media_type`` for start, the connection settings."""
    spec = {
        "user_id": {"type": "list", "elements": "str", "required": True, "aliases": ["user_ids"]},
        "no_active_call": {"type": "str", "default": "fail", "choices": list(NO_ACTIVE_CALL_CHOICES)},
        "concurrency": {"type": "int", "default": DEFAULT_CONCURRENCY},
    }
    if operation is START:
        spec["media_type"] = {"type": "str", "default": "voice", "choices": list(MEDIA_TYPES)}
    spec.update(connection_argument_spec())
    return spec


def run(module, operation):
    """Run ``operation`` for the task's agents and return the module result.

    Every input is checked before anything is sent. A failure to log in or to find the API
    fails each agent with that reason, so that every user id still has its entry.
    """
    try:
        return _run(module, operation)
    except CxoneError as exc:
        return dict(exc.to_fail_json(), failed=True, changed=False)


def _run(module, operation):
    params = module.params
    user_ids = normalise_user_ids(params["user_id"])
    concurrency = check_concurrency(params["concurrency"])
    media_type = params.get("media_type") if operation is START else None
    session = open_session(module, min(concurrency, len(user_ids)))
    try:
        try:
            api = session.prepare()
        except CxoneError as exc:
            return task_result(operation, failed_entries(user_ids, exc))
        if module.check_mode:
            entries = planned_entries(user_ids)
        else:
            entries = run_batch(api, operation, user_ids, media_type, params["no_active_call"], concurrency)
    finally:
        session.close()
    return task_result(operation, entries)


def exit_with(module, result):
    """End the task: a failure when any agent failed (their results still returned)."""
    if result.get("failed"):
        module.fail_json(**result)
    module.exit_json(**result)
