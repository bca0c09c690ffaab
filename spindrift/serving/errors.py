"""Why a request could not be served: an :class:`ErrorCode`, and the HTTP status a web adapter answers with.

The codes are the Avro enum ``io.spindrift.ErrorCode`` every ``ScoreReply`` error carries. A
transport passes the code on as it is (the Kafka adapter puts it in the reply); a web adapter
answers ``code.http_status``, so every web front (the gateway, an inline mode, an embedding
application) maps a code to the same status.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ErrorCode", "ServingError", "http_status_of"]


class ErrorCode(StrEnum):
    """Error codes of a ``ScoreError`` reply (the Avro enum ``io.spindrift.ErrorCode``)."""

    INVALID_INPUT = "INVALID_INPUT"
    UNKNOWN_MODEL = "UNKNOWN_MODEL"
    UNKNOWN_VERSION = "UNKNOWN_VERSION"
    MODEL_NOT_SERVABLE = "MODEL_NOT_SERVABLE"
    INTERNAL = "INTERNAL"
    TIMEOUT = "TIMEOUT"
    REPLY_TOO_LARGE = "REPLY_TOO_LARGE"

    @property
    def http_status(self) -> int:
        """The HTTP status a web adapter answers this code with."""
        return _HTTP_STATUS[self]


_HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID_INPUT: 422,  # well-formed, but a row, column or value is unusable
    ErrorCode.UNKNOWN_MODEL: 404,
    ErrorCode.UNKNOWN_VERSION: 404,
    ErrorCode.MODEL_NOT_SERVABLE: 409,  # the version exists; its state (not certified, failed to load) is the problem
    ErrorCode.INTERNAL: 500,
    ErrorCode.TIMEOUT: 504,
    # The scored reply would not fit in one record: the caller sends fewer rows or asks for fewer outputs.
    ErrorCode.REPLY_TOO_LARGE: 413,
}


def http_status_of(code: str) -> int:
    """The HTTP status for an error code read off the wire; 500 for a code this release does not know."""
    try:
        return ErrorCode(code).http_status
    except ValueError:
        return 500


class ServingError(Exception):
    """A request that could not be served: its :class:`ErrorCode` and a message saying what to do.

    ``version`` is the model version the request resolved to, when it got that far.
    """

    def __init__(self, code: ErrorCode | str, message: str, version: int | None = None) -> None:
        self.code = ErrorCode(code)
        self.message = message
        self.version = version
        super().__init__(f"{self.code}: {message}")

    @property
    def http_status(self) -> int:
        """The HTTP status a web adapter answers this error with."""
        return self.code.http_status
