# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The recording service's endpoints, in one table.

Everything that names an operation comes from here: the routes under a tenant's
``recording_api_path``, the request log's ``operation``, the ``operation_requests``
counters, what a fault rule's ``operation`` may select, the permission each one needs
and the description of its 200. An operation added here is routed, logged, counted,
rate limited, faulted, locked, made asynchronous for asynchronous agents (and lost for
``accepted_never_applies`` ones) like the others.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import MASKING, RECORD_ON_DEMAND


@dataclass(frozen=True)
class RecordingOperation:
    """One endpoint of the recording service."""

    name: str                  # in the request log, the counters and fault rules
    endpoint: str              # the path after the tenant's recording_api_path + "/"
    method: str
    permission: str            # the access key permission it needs (model.PERMISSIONS)
    done: str = None           # the description of a 200; None: a read (get-recording-status)
    apply: str = None          # the Contact method that applies it
    takes_media: bool = False  # reads mediaType (voice | voiceAndScreen, default voice)
    starts_recording: bool = False     # 409 after do-not-record
    refuses_internal: bool = False     # 422 on an internal (agent to agent) call

    @property
    def is_read(self):
        return self.done is None


RECORDING_OPERATIONS = (
    RecordingOperation("start", "start-recording-on-demand", "POST", RECORD_ON_DEMAND, "Recording started", "start_on_demand",
                       takes_media=True, starts_recording=True),
    RecordingOperation("stop", "stop-recording-on-demand", "POST", RECORD_ON_DEMAND, "Recording stopped", "stop_on_demand"),
    RecordingOperation("do_not_record", "do-not-record", "POST", RECORD_ON_DEMAND, "Do not record applied", "refuse_recording"),
    RecordingOperation("mask", "mask", "POST", MASKING, "Recording masked", "mask", refuses_internal=True),
    RecordingOperation("unmask", "unmask", "POST", MASKING, "Recording unmasked", "unmask", refuses_internal=True),
    RecordingOperation("status", "get-recording-status", "GET", RECORD_ON_DEMAND),
)
BY_ENDPOINT = {operation.endpoint: operation for operation in RECORDING_OPERATIONS}
BY_NAME = {operation.name: operation for operation in RECORDING_OPERATIONS}
OPERATION_NAMES = tuple(BY_NAME)

# What an internal call answers to mask and unmask (422).
INTERNAL_CALL = "Masking is not supported for internal (agent to agent) interactions"
