"""Domain errors. Routes turn them into 4xx answers: HTML forms show them, the API returns JSON."""

from __future__ import annotations


class HearthError(Exception):
    """Base of the errors a person can be told about; ``status`` is the HTTP status."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(HearthError):
    """Input that breaks a rule (a field is named when one is to blame)."""

    status = 400


class NotFound(HearthError):
    status = 404


class Forbidden(HearthError):
    status = 403


class Conflict(HearthError):
    """The request clashes with existing data (a taken name, say)."""

    status = 409


class PayloadTooLarge(HearthError):
    status = 413


class Gone(HearthError):
    """Something that existed and was taken down (a suspended group)."""

    status = 410
