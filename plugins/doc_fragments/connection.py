# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Documentation of the connection settings, for the modules and for the connection plugin.

The settings are defined once, in ``plugins/module_utils/_settings.py`` (types, defaults,
environment variables, secrets). ``DOCUMENTATION`` describes each of them once; the
``cxone_api`` connection plugin extends both ``DOCUMENTATION`` and ``PLUGIN``, which only
adds where the plugin reads each setting from (``env`` and ``vars``), as ansible-core merges
fragments option by option. The texts are literal, as ansible-core's documentation tools
expect; tests/unit/plugins/doc_fragments/test_connection.py checks them against the table.
"""

from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods

    DOCUMENTATION = r"""
options:
  issuer:
    description:
    - The CXone OpenID Connect issuer. Its C(/.well-known/openid-configuration) names the token endpoint,
      and its C(/.well-known/cxone-configuration) the tenant's API endpoint.
    - If not set, the environment variable E(CXONE_ISSUER) is used.
    - Other issuers exist, for example C(https://cxone-gov.niceincontact.com) for FedRAMP tenants.
    - Plain C(http://) is accepted only to this machine (C(127.0.0.1), C(localhost)), so that credentials
      and tokens never cross a network in clear, unless O(allow_plain_http) is set.
    type: str
    default: https://cxone.niceincontact.com
  client_id:
    description:
    - Client id of the application registered with NICE for the back-end OAuth flow.
    - If not set, the environment variable E(CXONE_CLIENT_ID) is used.
    type: str
  client_secret:
    description:
    - Client secret of the registered application.
    - If not set, the environment variable E(CXONE_CLIENT_SECRET) is used.
    type: str
  access_key_id:
    description:
    - Access key id of the CXone user the collection acts as (a User Hub access key).
    - If not set, the environment variable E(CXONE_ACCESS_KEY_ID) is used.
    type: str
  access_key_secret:
    description:
    - Access key secret of that access key.
    - If not set, the environment variable E(CXONE_ACCESS_KEY_SECRET) is used.
    type: str
  access_token:
    description:
    - A bearer token obtained elsewhere, used first, before any login.
    - If not set, the environment variable E(CXONE_ACCESS_TOKEN) is used.
    - When it is a JWT, its C(exp) claim says when it expires; an opaque token is used until
      CXone rejects it.
    - When CXone rejects it (HTTP 401) or it has expired, and O(client_id), O(client_secret),
      O(access_key_id) and O(access_key_secret) are all set, the collection logs in with them
      and carries on, once; without them the task fails saying so (an expired JWT before any
      request).
    - Either O(access_token), or all of O(client_id), O(client_secret), O(access_key_id) and O(access_key_secret)
      must be set.
    type: str
  tenant_id:
    description:
    - The tenant's id, used for API discovery when O(api_endpoint) is not set.
    - If not set, the environment variable E(CXONE_TENANT_ID) is used.
    - When not set, the C(tenantId) claim of the token is used.
    type: str
  api_endpoint:
    description:
    - Base URL of the tenant's API, for example C(https://api-na1.niceincontact.com).
    - If not set, the environment variable E(CXONE_API_ENDPOINT) is used.
    - When not set, it is discovered from the issuer's C(/.well-known/cxone-configuration).
    type: str
  recording_api_path:
    description:
    - Path prefix of the three Record on Demand operations, after O(api_endpoint).
    - If not set, the environment variable E(CXONE_RECORDING_API_PATH) is used.
    - NICE's OpenAPI document and SDK use C(/v1); its help page writes the path without it.
    type: str
    default: /interaction-recording-management-service/v1/interactions
  validate_certs:
    description:
    - Whether to verify CXone's TLS certificates. Set to V(false) only for test systems; the task warns
      when it is.
    - If not set, the environment variable E(CXONE_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
    - A CA bundle file (PEM) to verify CXone's certificates with, instead of the system's.
    - If not set, the environment variable E(CXONE_CA_PATH) is used.
    type: path
  timeout:
    description:
    - Seconds allowed for each HTTP request, from 1 to 600.
    - If not set, the environment variable E(CXONE_TIMEOUT) is used.
    type: int
    default: 30
  retries:
    description:
    - Further attempts after a retryable answer (HTTP 425, 429, 500, 502, 503, 504) or a lost connection,
      from 0 to 20, with exponential backoff and jitter. A C(Retry-After) header is honoured, up to 60
      seconds.
    - If not set, the environment variable E(CXONE_RETRIES) is used.
    type: int
    default: 5
  allow_plain_http:
    description:
    - Accept plain C(http://) URLs to hosts other than this machine for O(issuer), O(api_endpoint)
      and the discovered endpoints, which sends credentials and tokens in clear over the network.
    - If not set, the environment variable E(CXONE_ALLOW_PLAIN_HTTP) is used.
    - Only for a trusted test network; CXone itself is reached over C(https://).
    type: bool
    default: false
notes:
- 'With O(ignore:connection=local) the connection settings come from the module options or the C(CXONE_*)
  environment variables. Over the P(cxone.recording.cxone_api#connection) connection the module options
  of the connection settings are ignored: the connection''s settings are used.'
- The modules run on the Ansible controller and need the Python library C(requests) there.
- Proxies follow the standard C(HTTPS_PROXY) and C(NO_PROXY) environment variables.
"""

    # Added to DOCUMENTATION for the cxone_api connection plugin, which also reads the settings
    # from inventory variables. Descriptions, types and defaults come from DOCUMENTATION.
    PLUGIN = r"""
options:
  issuer:
    env:
    - name: CXONE_ISSUER
    vars:
    - name: cxone_issuer
  client_id:
    env:
    - name: CXONE_CLIENT_ID
    vars:
    - name: cxone_client_id
  client_secret:
    env:
    - name: CXONE_CLIENT_SECRET
    vars:
    - name: cxone_client_secret
  access_key_id:
    env:
    - name: CXONE_ACCESS_KEY_ID
    vars:
    - name: cxone_access_key_id
  access_key_secret:
    env:
    - name: CXONE_ACCESS_KEY_SECRET
    vars:
    - name: cxone_access_key_secret
  access_token:
    env:
    - name: CXONE_ACCESS_TOKEN
    vars:
    - name: cxone_access_token
  tenant_id:
    env:
    - name: CXONE_TENANT_ID
    vars:
    - name: cxone_tenant_id
  api_endpoint:
    env:
    - name: CXONE_API_ENDPOINT
    vars:
    - name: cxone_api_endpoint
  recording_api_path:
    env:
    - name: CXONE_RECORDING_API_PATH
    vars:
    - name: cxone_recording_api_path
  validate_certs:
    env:
    - name: CXONE_VALIDATE_CERTS
    vars:
    - name: cxone_validate_certs
  ca_path:
    env:
    - name: CXONE_CA_PATH
    vars:
    - name: cxone_ca_path
  timeout:
    env:
    - name: CXONE_TIMEOUT
    vars:
    - name: cxone_timeout
  retries:
    env:
    - name: CXONE_RETRIES
    vars:
    - name: cxone_retries
  allow_plain_http:
    env:
    - name: CXONE_ALLOW_PLAIN_HTTP
    vars:
    - name: cxone_allow_plain_http
"""
