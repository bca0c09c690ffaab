"""Every error code has the HTTP status a web adapter answers with, and a ServingError carries both."""

from __future__ import annotations

import pytest

from spindrift.serving.errors import ErrorCode, ServingError, http_status_of


def test_every_code_has_a_client_or_server_error_status() -> None:
    statuses = {code: code.http_status for code in ErrorCode}
    assert statuses == {
        ErrorCode.INVALID_INPUT: 422,
        ErrorCode.UNKNOWN_MODEL: 404,
        ErrorCode.UNKNOWN_VERSION: 404,
        ErrorCode.MODEL_NOT_SERVABLE: 409,
        ErrorCode.INTERNAL: 500,
        ErrorCode.TIMEOUT: 504,
        ErrorCode.REPLY_TOO_LARGE: 413,
    }


@pytest.mark.parametrize(("code", "status"), [("UNKNOWN_MODEL", 404), ("A_CODE_FROM_A_NEWER_SCORER", 500)])
def test_a_code_read_off_the_wire_maps_to_a_status_even_when_unknown(code: str, status: int) -> None:
    assert http_status_of(code) == status


def test_a_serving_error_carries_its_code_message_and_status() -> None:
    error = ServingError("MODEL_NOT_SERVABLE", "m version 3 failed to load on this scorer", 3)
    assert (error.code, error.http_status, error.version) == (ErrorCode.MODEL_NOT_SERVABLE, 409, 3)
    assert str(error) == "MODEL_NOT_SERVABLE: m version 3 failed to load on this scorer"
