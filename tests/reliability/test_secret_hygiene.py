"""Secret hygiene: a server echoing the key, DEBUG logs of the HTTP and AWS libraries, and redaction that
neither leaks a short secret nor mangles text around it."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from provider_core import ErrorCode, ProviderError
from provider_core._secrets import SecretFilter, redact, redact_registered, register
from provider_core.author import resolve_settings
from provider_core.testing.kit import Fault
from provider_lambda import LambdaProvider, LambdaSettings
from provider_lambda.testing import LambdaEmulator, settings_for

SECRET = "sk-live-echoed-0123456789"


def test_lambda_scrubs_a_key_the_server_echoes() -> None:
    with LambdaEmulator() as emulator:
        emulator.api_key = SECRET
        body = {"error": {"code": "global/invalid-parameters", "message": f"bad request from {SECRET}"}}
        emulator.inject(Fault(400, json.dumps(body).encode(), {"Content-Type": "application/json"}))
        provider = LambdaProvider(resolve_settings(LambdaSettings, settings_for(emulator), provider="lambda"))
        try:
            with pytest.raises(ProviderError) as caught:
                provider.list_instances()
        finally:
            provider.close()
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert SECRET not in str(caught.value)
    assert "bad request from ***" in caught.value.message


def test_botocore_debug_logs_show_no_credentials(caplog: pytest.LogCaptureFixture) -> None:
    from provider_aws import AWSProvider, AWSSettings
    from provider_aws.testing import test_double

    token = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN0123456789"
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    caplog.set_level(logging.DEBUG, logger="botocore")
    with test_double() as settings:
        given: dict[str, Any] = {
            **settings,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": secret,
            "aws_session_token": token,
        }
        provider = AWSProvider(resolve_settings(AWSSettings, given, provider="aws"))
        try:
            provider.list_instances()
        finally:
            provider.close()
    assert "x-amz-security-token" in caplog.text.lower()  # botocore did log the header...
    assert token not in caplog.text  # ...with its value hidden
    assert secret not in caplog.text


def test_credential_headers_are_hidden_even_when_never_registered() -> None:
    shown = redact_registered("headers={'X-Amz-Security-Token': b'unregistered-token-value', 'a': 'b'}")
    assert "unregistered-token-value" not in shown
    assert redact_registered("Authorization: Bearer abc.def") == "Authorization: ***"


def test_a_short_secret_is_hidden_only_as_a_whole_token() -> None:
    # Replacing "ab" everywhere would turn "table" into "t***le" and tell the reader what the key is.
    assert redact("key=ab in a table", ["ab"]) == "key=*** in a table"
    assert redact("long-secret-value inside xlong-secret-valuex", ["long-secret-value"]) == "*** inside x***x"


def test_the_filter_redacts_records_of_child_loggers_and_handlers_it_does_not_own() -> None:
    register("registered-secret-42")
    record = logging.getLogger("botocore.endpoint.child").makeRecord(
        "botocore.endpoint.child", logging.DEBUG, __file__, 1, "sending %s", ("registered-secret-42",), None
    )
    assert record.getMessage() == "sending ***"
    other = logging.LogRecord("app", logging.INFO, __file__, 1, "kept %s", ("registered-secret-42",), None)
    assert SecretFilter().filter(other)
    assert other.getMessage() == "kept ***"
