# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The operations the collection asks of CXone's recording service: the one list of them.

For internal use by the cxone.recording collection only; not a public API.

Everything that differs from one operation to another is written here once: the module that
runs it, the request it sends, the options it takes, the status that confirms it and whether
the ``record_on_demand`` role plans it. The recording modules, the evidence callback, the plan
and report filters and the tests read ``OPERATIONS``; adding an operation is one entry here,
its module file, and the steps CONTRIBUTING.md lists.
"""

from __future__ import annotations

from types import MappingProxyType

from ansible_collections.cxone.recording.plugins.module_utils._errors import RECORDING_HINTS

# The words of CXone's recording status (get-recording-status): recordingStatusToAgent and statusReason.
RECORDING = "Recording"
STOP_ON_DEMAND = "StopOnDemand"
CUSTOMER_DISCONSENT = "CustomerDisconsent"
MASK_REASON = "Mask"

MEDIA_TYPES = ("voice", "voiceAndScreen")
COLLECTION = "cxone.recording"


def _recording(status):
    return status["recording_status_to_agent"] == RECORDING


def _stopped(status):
    # Not recording alone could be a call that was never recorded: only the reason shows that a
    # stop (or a refusal, which stops too) took effect.
    return not _recording(status) and status["status_reason"] in (STOP_ON_DEMAND, CUSTOMER_DISCONSENT)


def _disconsent_in_force(status):
    return status["status_reason"] == CUSTOMER_DISCONSENT and not _recording(status)


def _masked(status):
    return status["status_reason"] == MASK_REASON


def _not_masked(status):
    return status["status_reason"] != MASK_REASON


# What CXone's Masking API answers differently from Record on Demand.
MASKING_HINTS = MappingProxyType({
    **RECORDING_HINTS,
    403: 'the calling user lacks the "Interactions Hub > APIs > Multi-ACD Masking API" permission',
    422: "CXone cannot mask an internal (agent-to-agent) call; nothing was masked, and the request was not retried",
})


class Operation:
    """One operation of CXone's recording service, keyed by the agent's user id.

    ``name``: the operation's name in plans, reports and evidence (``stop``); ``module``: the
    module that runs it, without the collection's prefix; ``path``: after ``recording_api_path``;
    ``in_words``: what it does, to begin messages; ``goal``: the state that confirms it, in words;
    ``confirmed_when``: that state as a test of a status entry; ``takes_media_type``: it has the
    ``media_type`` option (query ``mediaType``); ``guards_contact``: it has ``expected_contacts``;
    ``planned``: the role's plan accepts it as an ``action``; ``contradicts``: the operation
    that makes a plan ambiguous when one agent is in entries of both; ``starts_recording``: a
    do-not-record of the same agent in the same plan wins over it (it is reported as a conflict);
    ``hints``: what CXone's failed answers mean for it, by HTTP status.
    """

    # pylint: disable-next=too-many-arguments
    def __init__(self, name, module, path, in_words, goal, confirmed_when, takes_media_type=False,
                 guards_contact=False, planned=True, contradicts=None, starts_recording=False, hints=RECORDING_HINTS):
        self.name = name
        self.module = module
        self.path = path
        self.in_words = in_words
        self.goal = goal
        self.confirmed_when = confirmed_when
        self.takes_media_type = takes_media_type
        self.guards_contact = guards_contact
        self.planned = planned
        self.contradicts = contradicts
        self.starts_recording = starts_recording
        self.hints = hints

    @property
    def fqcn(self):
        """The module's fully qualified name, as the evidence callback and the action group know it."""
        return "%s.%s" % (COLLECTION, self.module)

    def request(self, recording_api_path, user_id, media_type=None):
        """``(method, path, query parameters)`` of this operation for one agent."""
        params = {"userId": user_id}
        if self.takes_media_type:
            params["mediaType"] = media_type
        return "POST", "%s/%s" % (recording_api_path, self.path), params

    def plan_batches(self):
        """``(media type or None, report keyword)`` of each batch the role runs for this operation."""
        if not self.takes_media_type:
            return [(None, self.name)]
        return [(media, "%s_%s" % (self.name, _snake(media))) for media in MEDIA_TYPES]

    def __repr__(self):
        return "Operation(%r)" % self.name


def _snake(name):
    return "".join("_" + char.lower() if char.isupper() else char for char in name)


START = Operation("start", "cxone_recording_start", "start-recording-on-demand", "start recording",
                  "recording", _recording, takes_media_type=True, starts_recording=True)
STOP = Operation("stop", "cxone_recording_stop", "stop-recording-on-demand", "stop recording",
                 "not recording, reason StopOnDemand or CustomerDisconsent", _stopped, guards_contact=True,
                 contradicts="start")
DO_NOT_RECORD = Operation("do_not_record", "cxone_do_not_record", "do-not-record", "do not record",
                          "not recording, reason CustomerDisconsent", _disconsent_in_force, guards_contact=True)
MASK = Operation("mask", "cxone_recording_mask", "mask", "mask recording", "masked (reason Mask)", _masked,
                 guards_contact=True, contradicts="unmask", hints=MASKING_HINTS)
UNMASK = Operation("unmask", "cxone_recording_unmask", "unmask", "unmask recording",
                   "not masked (a reason other than Mask)", _not_masked, guards_contact=True, contradicts="mask",
                   hints=MASKING_HINTS)

# In the order the role applies a plan: a customer's refusal holds before anything could start
# recording, a stop before a start, and masks after the recording they mask has started.
OPERATIONS = (DO_NOT_RECORD, STOP, START, MASK, UNMASK)
PLANNED = tuple(operation for operation in OPERATIONS if operation.planned)


def by_name(name):
    """The operation called ``name`` in plans and reports, or None."""
    return next((operation for operation in OPERATIONS if operation.name == name), None)
