# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Running one request per agent with bounded concurrency: a batch never loses an agent.

For internal use by the cxone.recording collection only; not a public API.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor


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
