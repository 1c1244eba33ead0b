# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: cxone_api
short_description: Log in to NICE CXone once per play and lend the token to the recording modules
version_added: 1.0.0
description:
  - A persistent connection that holds one CXone tenant's OAuth token for a whole play. The
    recording modules of this collection ask it for the current token and the API's base URL,
    send their requests themselves (so batches stay concurrent), and ask it to renew the token
    when CXone rejects it.
  - It logs in on first use, discovers the API once, renews the token before it expires
    (refresh token first, a full login when that fails) and after a rejection, once however
    many requests reported it.
  - Each inventory host using this connection is one tenant, with its own token and API
    endpoint; hosts are independent of each other and can run in parallel forks.
  - It has no remote shell. Only the modules of this collection use it.
author:
  - cxone.recording contributors (@cxone-recording)
extends_documentation_fragment:
  - cxone.recording.connection
  - cxone.recording.connection.plugin
options:
  persistent_connect_timeout:
    description:
      - Seconds the connection waits for the next request before it exits and forgets the token.
      - The default covers pauses of several minutes between tasks; the connection also ends at
        the end of each play, so it does not outlive the playbook run.
    type: int
    default: 600
    ini:
      - section: persistent_connection
        key: connect_timeout
    env:
      - name: ANSIBLE_PERSISTENT_CONNECT_TIMEOUT
    vars:
      - name: ansible_connect_timeout
  persistent_command_timeout:
    description:
      - Seconds one request to the connection (a login with its retries, say) may take.
    type: int
    default: 300
    ini:
      - section: persistent_connection
        key: command_timeout
    env:
      - name: ANSIBLE_PERSISTENT_COMMAND_TIMEOUT
    vars:
      - name: ansible_command_timeout
  persistent_log_messages:
    description:
      - When true, the connection writes one line per HTTP request it makes (method, URL without
        query, status, seconds) to the Ansible log file (C(ANSIBLE_LOG_PATH)).
      - Unlike other persistent connections it never logs the raw messages exchanged with
        ansible-core, because those carry the secrets and tokens.
    type: boolean
    default: false
    ini:
      - section: persistent_connection
        key: log_messages
    env:
      - name: ANSIBLE_PERSISTENT_LOG_MESSAGES
    vars:
      - name: ansible_persistent_log_messages
notes:
  - Modules over this connection run on the controller with the Python that runs
    ansible-playbook, which needs the library C(requests).
  - With C(-vvvv) the connection reports each HTTP request it makes (method, URL without query,
    status, seconds), never a secret or a token.
  - A host declared with C(ansible_connection=local) instead, with the settings as module
    options or C(CXONE_*) environment variables, logs in once per task. That suits a single
    ad hoc task or a controller without persistent connections; for several tasks this
    connection is faster and lighter on CXone.
"""

EXAMPLES = r"""
# An inventory (inventory.yml) with one host per CXone tenant; secrets come from Ansible Vault.
# Every task of a play that targets these hosts shares one login per tenant:
#
#   - name: Stop recording during an incident
#     hosts: cxone
#     gather_facts: false
#     tasks:
#       - name: Stop recording for the team
#         cxone.recording.cxone_recording_stop:
#           user_ids: "{{ incident_user_ids }}"
#           no_active_call: skip
all:
  children:
    cxone:
      hosts:
        cxone_emea:
          ansible_connection: cxone.recording.cxone_api
          cxone_client_id: "{{ vault_emea_client_id }}"
          cxone_client_secret: "{{ vault_emea_client_secret }}"
          cxone_access_key_id: "{{ vault_emea_access_key_id }}"
          cxone_access_key_secret: "{{ vault_emea_access_key_secret }}"
        cxone_fedramp:
          ansible_connection: cxone.recording.cxone_api
          cxone_issuer: https://cxone-gov.niceincontact.com
          cxone_tenant_id: 11111111-2222-4333-8444-555555555555
          # client and access key from the CXONE_* environment variables, as AWX injects them
"""

import hashlib
import json

from ansible.plugins.connection import NetworkConnectionBase

from ansible_collections.cxone.recording.plugins.module_utils import _broker as broker
from ansible_collections.cxone.recording.plugins.module_utils._auth import Authenticator
from ansible_collections.cxone.recording.plugins.module_utils._errors import CxoneError
from ansible_collections.cxone.recording.plugins.module_utils._settings import SETTING_NAMES, validate_settings
from ansible_collections.cxone.recording.plugins.module_utils._transport import Transport


class Connection(NetworkConnectionBase):
    """Holds one tenant's ``Authenticator`` in ansible-core's persistent connection process.

    Its public ``cxone_*`` methods are the connection's side of the token broker protocol
    (``module_utils/_broker.py`` documents the calls and their answers).
    """

    transport = "cxone.recording.cxone_api"
    has_pipelining = False

    def __init__(self, play_context, new_stdin, *args, **kwargs):
        super().__init__(play_context, new_stdin, *args, **kwargs)
        # NetworkConnectionBase refuses unknown private attributes until they are set.
        self._authenticator = None
        self._settings_digest = None
        self._transport = None

    def get_option(self, option, hostvars=None):
        # ansible-core would log every message to and from this process raw, secrets
        # included, when persistent_log_messages is on; it only ever sees "off". The option
        # still selects this plugin's own redacted request log (see _log_request).
        if option == "persistent_log_messages":
            return False
        return super().get_option(option, hostvars)

    def _log_to_file(self):
        return bool(self._options.get("persistent_log_messages"))

    def _connect(self):
        # Nothing to open: logging in waits for the first module call, so that a refused
        # login reaches the task as an ordinary failure with CXone's message.
        self._connected = True

    def close(self):
        self._forget()
        super().close()

    def _forget(self):
        if self._transport is not None:
            self._transport.close()
        self._authenticator = self._transport = self._settings_digest = None

    def _log_request(self, method, url, status, seconds):
        line = "cxone_api: %s %s -> %s in %.3f s" % (method, url, status if status else "no answer", seconds)
        self.queue_message("vvvv", line)
        if self._log_to_file():
            self.queue_message("log", line)

    def _current_authenticator(self):
        """The authenticator for the current options; a new one when they changed."""
        values = {name: super(Connection, self).get_option(name) for name in SETTING_NAMES}
        settings = validate_settings(values)
        digest = hashlib.sha256(json.dumps(list(settings), default=str).encode("utf-8")).hexdigest()
        if digest != self._settings_digest:
            self._forget()
            self._transport = Transport.for_settings(settings, pool_size=2, on_answer=self._log_request)
            self._authenticator = Authenticator(settings, self._transport)
            self._settings_digest = digest
        return self._authenticator

    def _serve(self, answer, *args):
        try:
            return answer(self._current_authenticator(), self.get_option("persistent_connect_timeout"), *args)
        except CxoneError as exc:
            return broker.error_answer(exc)

    def cxone_session(self):
        """Log in (if not yet) and discover the API: what a module needs to send requests."""
        return self._serve(broker.answer_session)

    def cxone_token(self, confirmed=None):
        """The token to use now; ``confirmed``: a fingerprint CXone accepted since the last call."""
        return self._serve(broker.answer_token, confirmed)

    def cxone_renew(self, rejected_fingerprint, confirmed=None):
        """CXone rejected the token with this fingerprint: the token to retry with."""
        return self._serve(broker.answer_renew, rejected_fingerprint, confirmed)
