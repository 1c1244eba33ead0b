# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.cxone.recording.plugins.module_utils._errors import SettingsError
from ansible_collections.cxone.recording.plugins.module_utils._settings import (
    DEFAULT_ISSUER,
    DEFAULT_RECORDING_API_PATH,
    SETTINGS,
    connection_argument_spec,
    shown_url,
    url_credentials,
    validate_settings,
)

CREDENTIALS = {
    "client_id": "app", "client_secret": "s3cret-client", "access_key_id": "KEY", "access_key_secret": "s3cret-key",
}


def test_defaults_apply_when_only_credentials_are_given():
    settings = validate_settings(CREDENTIALS)
    assert settings.issuer == DEFAULT_ISSUER
    assert settings.recording_api_path == DEFAULT_RECORDING_API_PATH
    assert settings.timeout == 30 and settings.retries == 5
    assert settings.validate_certs is True and settings.verify is True
    assert settings.api_endpoint is None


def test_an_access_token_alone_is_enough():
    settings = validate_settings({"access_token": "tok"})
    assert settings.uses_given_token


@pytest.mark.parametrize("missing", sorted(CREDENTIALS))
def test_missing_credentials_are_named(missing):
    values = dict(CREDENTIALS)
    del values[missing]
    with pytest.raises(SettingsError) as caught:
        validate_settings(values)
    assert "missing: %s" % missing in caught.value.msg
    assert "access_token" in caught.value.msg


def test_no_credentials_at_all_names_all_four():
    with pytest.raises(SettingsError, match="client_id, client_secret, access_key_id, access_key_secret"):
        validate_settings({})


def test_whitespace_only_credential_counts_as_missing():
    with pytest.raises(SettingsError, match="missing: access_key_secret"):
        validate_settings(dict(CREDENTIALS, access_key_secret="   "))


def test_repr_hides_secrets():
    settings = validate_settings(dict(CREDENTIALS, access_token="tok-XYZ"))
    text = repr(settings)
    for secret in ("s3cret-client", "s3cret-key", "tok-XYZ"):
        assert secret not in text
    assert "<hidden>" in text


@pytest.mark.parametrize("issuer, problem", [
    ("cxone.niceincontact.com", "absolute https:// URL"),
    ("ftp://cxone.niceincontact.com", "absolute https:// URL"),
    ("https://", "absolute https:// URL"),
    ("https://cxone.niceincontact.com/?x=1", "query string"),
    ("https://user:pw@cxone.niceincontact.com", "user name or password"),
    ("https://cxone.nice incontact.com", "spaces"),
    ("https://cxone.niceincontact.com:99999", "not a valid URL"),
    ("http://cxone.niceincontact.com", "plain http://"),
    ("", "empty value"),
])
def test_bad_issuer_is_refused_with_the_reason(issuer, problem):
    with pytest.raises(SettingsError) as caught:
        validate_settings(dict(CREDENTIALS, issuer=issuer))
    assert caught.value.msg.startswith("issuer:")
    assert problem in caught.value.msg


def test_plain_http_is_allowed_to_this_machine_only():
    assert validate_settings(dict(CREDENTIALS, issuer="http://127.0.0.1:8080/")).issuer == "http://127.0.0.1:8080"
    assert validate_settings(dict(CREDENTIALS, api_endpoint="http://localhost:1")).api_endpoint == "http://localhost:1"
    with pytest.raises(SettingsError, match="api_endpoint:.*plain http://"):
        validate_settings(dict(CREDENTIALS, api_endpoint="http://api-na1.niceincontact.com"))


def test_allow_plain_http_is_an_explicit_opt_in():
    settings = validate_settings(dict(CREDENTIALS, issuer="http://cxone.example.com", allow_plain_http=True))
    assert settings.issuer == "http://cxone.example.com"
    with pytest.raises(SettingsError, match="allow_plain_http: must be true or false"):
        validate_settings(dict(CREDENTIALS, allow_plain_http="yes"))


@pytest.mark.parametrize("name, value, problem", [
    ("timeout", 0, "from 1 to 600"),
    ("timeout", 601, "from 1 to 600"),
    ("retries", -1, "from 0 to 20"),
    ("retries", 21, "from 0 to 20"),
    ("recording_api_path", "interactions", "must be a URL path starting with /"),
    ("recording_api_path", "/a?b", "must be a URL path"),
    ("ca_path", "/nonexistent/ca.pem", "does not exist"),
    ("client_id", "app\nx", "control characters"),
])
def test_bad_values_name_the_setting(name, value, problem):
    with pytest.raises(SettingsError) as caught:
        validate_settings(dict(CREDENTIALS, **{name: value}))
    assert caught.value.msg.startswith(name + ":")
    assert problem in caught.value.msg


def test_control_characters_in_a_secret_are_refused_without_echoing_it():
    with pytest.raises(SettingsError) as caught:
        validate_settings(dict(CREDENTIALS, access_key_secret="hunter2\r\n"))
    assert "hunter2" not in caught.value.msg


def test_ca_path_makes_verify_the_bundle(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not checked here")
    settings = validate_settings(dict(CREDENTIALS, ca_path=str(bundle)))
    assert settings.verify == str(bundle)
    assert validate_settings(dict(CREDENTIALS, ca_path=str(bundle), validate_certs=False)).verify is False


def test_argument_spec_has_env_fallbacks_defaults_and_no_log():
    spec = connection_argument_spec()
    assert set(spec) == {setting.name for setting in SETTINGS}
    assert spec["issuer"]["default"] == DEFAULT_ISSUER
    assert spec["client_secret"]["no_log"] is True
    assert spec["access_key_secret"]["no_log"] is True
    assert spec["access_token"]["no_log"] is True
    assert "no_log" not in spec["access_key_id"]
    assert spec["timeout"]["fallback"][1] == ["CXONE_TIMEOUT"]
    assert "default" not in spec["client_id"]


@pytest.mark.parametrize("url", [
    "http://[::1]evil.com",
    "http://[::1]evil.com:8080/path",
    "https://[127.0.0.1]/",
    "https://[::1/",
    "https://host:80:80/",
    "https://ho%73t.example.com/",
])
def test_a_host_part_that_is_not_a_host_and_port_is_refused(url):
    with pytest.raises(SettingsError) as caught:
        validate_settings(dict(CREDENTIALS, issuer=url))
    assert caught.value.msg.startswith("issuer:")


@pytest.mark.parametrize("url, expected", [
    ("https://[::1]:8443/base/", "https://[::1]:8443/base"),
    ("http://[::1]:8080", "http://[::1]:8080"),
    ("https://cxone-gov.niceincontact.com:443/", "https://cxone-gov.niceincontact.com:443"),
])
def test_bracketed_ipv6_hosts_and_ports_are_accepted(url, expected):
    assert validate_settings(dict(CREDENTIALS, issuer=url)).issuer == expected


@pytest.mark.parametrize("name", ["issuer", "api_endpoint"])
@pytest.mark.parametrize("url", [
    "https://admin:hunter2@cxone.example.com/",
    "https://admin:hunter2@cxone.example.com:99999/",
    "https://admin:hunter2@[::1/",
    "http://admin:hunter2@cxone.example.com/ with space",
    "https://hunter2@cxone.example.com",
    "https://cxone.example.com\\@hunter2.example.com",
])
def test_a_url_with_user_info_is_refused_without_echoing_it(name, url):
    with pytest.raises(SettingsError) as caught:
        validate_settings(dict(CREDENTIALS, **{name: url}))
    assert caught.value.msg.startswith("%s: the URL must not carry a user name or password" % name)
    assert "hunter2" not in caught.value.msg and "admin" not in caught.value.msg


@pytest.mark.parametrize("url, shown", [
    ("https://cxone.example.com:99999/base?token=s3cret#frag", "'https://cxone.example.com:99999/base'"),
    ("https://cxone.example.com/base?token=s3cret", "'https://cxone.example.com/base'"),
    ("http://cxone.example.com/base#s3cret", "'http://cxone.example.com/base'"),
])
def test_messages_show_no_more_of_a_url_than_scheme_host_port_and_path(url, shown):
    with pytest.raises(SettingsError) as caught:
        validate_settings(dict(CREDENTIALS, issuer=url))
    assert shown in caught.value.msg and "s3cret" not in caught.value.msg


def test_shown_url_keeps_only_scheme_host_port_and_path():
    assert shown_url("https://u:p@host:8443/a/b?q=1#f") == "https://host:8443/a/b"
    assert shown_url("not a url?x") == "not a url"


def test_url_credentials_lists_what_the_module_must_hide():
    values = dict(CREDENTIALS, issuer="https://admin:hun%40ter2@cxone.example.com/", api_endpoint="https://tok3n@api.example.com",
                  recording_api_path="/a@b")
    assert url_credentials(values) == ["admin:hun%40ter2", "admin:hun@ter2", "hun%40ter2", "hun@ter2", "tok3n"]
    assert url_credentials(dict(CREDENTIALS, issuer="https://cxone.example.com/a@b", api_endpoint=None)) == []
    assert url_credentials({}) == []


@pytest.mark.parametrize("values, can_log_in, missing", [
    (dict(CREDENTIALS, access_token="tok"), True, []),
    ({"access_token": "tok"}, False, ["client_id", "client_secret", "access_key_id", "access_key_secret"]),
    ({"access_token": "tok", "client_id": "app"}, False, ["client_secret", "access_key_id", "access_key_secret"]),
])
def test_a_given_token_may_come_with_login_settings(values, can_log_in, missing):
    settings = validate_settings(values)
    assert settings.uses_given_token
    assert settings.can_log_in is can_log_in and settings.missing_login_settings == missing
