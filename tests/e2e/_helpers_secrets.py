# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the secrets tests share: the agents of their tenant, the leak search and playbook steps.

Distinctive secrets are planted by each scenario, and every token the sandbox issues is
recognisable: opaque access tokens start with ``sbxAT``, refresh tokens with ``sbxRT``, and
the sandbox's JWTs (id_tokens, JWT access tokens) start with a fixed header. Each search also
looks for the spellings a leak could take: URL-encoded (a form body), JSON-escaped (a result,
a job event), ``repr`` and the HTTP Basic header of the client secret.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.parse

from e2e_helpers import agent_ids  # pylint: disable=import-error

ALICE, BOB, CAROL, DAVE, IDLE = agent_ids(5, prefix="5ec7")
ON_CALL = [ALICE, BOB, CAROL, DAVE]

NO_LOG_MARK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
# Every token the sandbox issues, whoever asked for it.
TOKEN_MARKERS = {
    "sbxAT": "an access token issued by the sandbox",
    "sbxRT": "a refresh token issued by the sandbox",
    # base64url of the sandbox's id_token header {"alg":"RS256","typ":"JWT"}
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9": "an id_token issued by the sandbox",
    # base64url of the header of its JWT access tokens {"alg":"HS256","typ":"JWT"}
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9": "a JWT access token issued by the sandbox",
}
SECRET_OPTIONS = ("client_secret", "access_key_secret", "access_token")


# -- searching -------------------------------------------------------------------------------

def spellings(value):
    """The forms a secret takes in a URL-encoded form, a JSON document or a Python repr."""
    forms = {
        value,
        urllib.parse.quote_plus(value),
        urllib.parse.quote(value, safe=""),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        repr(value)[1:-1],
        value.encode("unicode_escape").decode("ascii"),
    }
    return sorted(forms)


class Needles:
    """What must appear nowhere: planted secrets (in every spelling) and token markers."""

    def __init__(self):
        self.labels = dict(TOKEN_MARKERS)

    def plant(self, label, value, basic_user=None):
        for form in spellings(value):
            self.labels.setdefault(form, label)
        if basic_user is not None:
            basic = base64.b64encode(("%s:%s" % (basic_user, value)).encode("latin-1")).decode("ascii")
            self.labels.setdefault(basic, label + " (as an HTTP Basic header)")
        return self

    def find(self, text, where):
        """One line per hit: what leaked, where, and the text around it."""
        hits = []
        for needle, label in self.labels.items():
            start = text.find(needle)
            while start != -1:
                context = text[max(0, start - 120):start + len(needle) + 60].replace("\n", "\\n")
                hits.append("%s: %s (%r) in ...%s..." % (where, label, needle, context))
                start = text.find(needle, start + 1)
        return hits


def file_texts(root, skip=lambda path: False):
    """(relative path, text) of every regular file under root."""
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, root)
            if not os.path.isfile(path) or skip(relative):
                continue
            with open(path, "rb") as stream:
                yield relative, stream.read().decode("utf-8", errors="replace")


def add_faults(control):
    """The first login and Carol's first two operations answer 503; Retry-After 0 keeps it fast."""
    control.add_fault("status", status=503, count=1, applies_to="token", retry_after="0")
    control.add_fault("status", status=503, count=2, user_id=CAROL, retry_after="0")


# -- playbooks -------------------------------------------------------------------------------

def step(module, name, ignore_errors=False, **options):
    """A task of the collection's ``module`` with these options."""
    task = {"name": name, "cxone.recording." + module: options}
    if ignore_errors:
        task["ignore_errors"] = True
    return task


def play(name, hosts, tasks, module_defaults=None):
    """A play; ``module_defaults`` go to the collection's action group."""
    document = {"name": name, "hosts": hosts, "gather_facts": False}
    if module_defaults is not None:
        document["module_defaults"] = {"group/cxone.recording.cxone": module_defaults}
    document["tasks"] = tasks
    return document
