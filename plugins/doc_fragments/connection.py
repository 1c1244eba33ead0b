# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Documentation of the connection settings, for the modules and for the connection plugin.

The settings are defined once, in ``plugins/module_utils/_settings.py`` (types, defaults,
environment variables, secrets). This fragment adds their descriptions and writes them out in
two forms: ``DOCUMENTATION`` for module options, ``PLUGIN`` for the ``cxone_api`` connection
plugin, whose options also come from ``cxone_*`` inventory variables.
"""

from __future__ import annotations

import yaml

from ansible_collections.cxone.recording.plugins.module_utils._settings import SETTINGS

_DESCRIPTIONS = {
    "issuer": [
        "The CXone OpenID Connect issuer. Its C(/.well-known/openid-configuration) names the token "
        "endpoint, and its C(/.well-known/cxone-configuration) the tenant's API endpoint.",
        "Other issuers exist, for example C(https://cxone-gov.niceincontact.com) for FedRAMP tenants.",
        "Plain C(http://) is accepted only to this machine (C(127.0.0.1), C(localhost)), so that "
        "credentials and tokens never cross a network in clear.",
    ],
    "client_id": ["Client id of the application registered with NICE for the back-end OAuth flow."],
    "client_secret": ["Client secret of the registered application."],
    "access_key_id": ["Access key id of the CXone user the collection acts as (a User Hub access key)."],
    "access_key_secret": ["Access key secret of that access key."],
    "access_token": [
        "A bearer token obtained elsewhere, used as is instead of logging in.",
        "It cannot be renewed: when CXone rejects it, the task fails.",
        "Either O(access_token), or all of O(client_id), O(client_secret), O(access_key_id) and "
        "O(access_key_secret) must be set.",
    ],
    "tenant_id": [
        "The tenant's id, used for API discovery when O(api_endpoint) is not set.",
        "When not set, the C(tenantId) claim of the token is used.",
    ],
    "api_endpoint": [
        "Base URL of the tenant's API, for example C(https://api-na1.niceincontact.com).",
        "When not set, it is discovered from the issuer's C(/.well-known/cxone-configuration).",
    ],
    "recording_api_path": [
        "Path prefix of the three Record on Demand operations, after O(api_endpoint).",
        "NICE's OpenAPI document and SDK use C(/v1); its help page writes the path without it.",
    ],
    "validate_certs": [
        "Whether to verify CXone's TLS certificates. Set to V(false) only for test systems; the "
        "task warns when it is.",
    ],
    "ca_path": ["A CA bundle file (PEM) to verify CXone's certificates with, instead of the system's."],
    "timeout": ["Seconds allowed for each HTTP request, from 1 to 600."],
    "retries": [
        "Further attempts after a retryable answer (HTTP 425, 429, 500, 502, 503, 504) or a lost "
        "connection, from 0 to 20, with exponential backoff and jitter. A C(Retry-After) header "
        "is honoured, up to 60 seconds.",
    ],
}

_MODULE_NOTES = [
    "With O(ignore:connection=local) the connection settings come from the module options or "
    "the C(CXONE_*) environment variables. Over the M(cxone.recording.cxone_api#connection) "
    "connection the module options of the connection settings are ignored: the connection's "
    "settings are used.",
    "The modules run on the Ansible controller and need the Python library C(requests) there.",
    "Proxies follow the standard C(HTTPS_PROXY) and C(NO_PROXY) environment variables.",
]


def _option(setting, plugin):
    option = {"description": list(_DESCRIPTIONS[setting.name]), "type": setting.type}
    if setting.default is not None:
        option["default"] = setting.default
    if plugin:
        option["env"] = [{"name": setting.env}]
        option["vars"] = [{"name": "cxone_" + setting.name}]
    else:
        option["description"].insert(1, "If not set, the environment variable E(%s) is used." % setting.env)
    return option


def _render(plugin):
    document = {"options": {setting.name: _option(setting, plugin) for setting in SETTINGS}}
    if not plugin:
        document["notes"] = _MODULE_NOTES
    return yaml.safe_dump(document, sort_keys=False, width=100)


class ModuleDocFragment:  # pylint: disable=too-few-public-methods

    DOCUMENTATION = _render(plugin=False)

    PLUGIN = _render(plugin=True)
