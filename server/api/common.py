"""API plumbing: bearer-token auth, JSON bodies and JSON errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse

from server.inputs import parse_json
from server.models import User
from server.services.credentials import user_for_api_token

ModelT = TypeVar("ModelT", bound=BaseModel)


class ApiError(Exception):
    """An API failure with an HTTP status, a machine-readable code and a detail."""

    def __init__(
        self, status: int, error: str, detail: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = headers


def error_response(
    status: int, error: str, detail: Any = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The JSON body every API error has."""
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)


async def api_user(request: Request, session: AsyncSession) -> User:
    """The user whose bearer token authorizes this request, or 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "unauthorized",
            "Send 'Authorization: Bearer <token>'.",
            {"WWW-Authenticate": 'Bearer realm="hearth"'},
        )
    user = await user_for_api_token(session, token.strip())
    if user is None:
        raise ApiError(
            401,
            "unauthorized",
            "The token is unknown or its account is not active.",
            {"WWW-Authenticate": 'Bearer realm="hearth", error="invalid_token"'},
        )
    return user


async def optional_api_user(request: Request, session: AsyncSession) -> User | None:
    """The bearer token's user when one is sent (401 if it is bad), else None."""
    if not request.headers.get("authorization"):
        return None
    return await api_user(request, session)


async def read_json(request: Request, model: type[ModelT]) -> ModelT:
    """Parse and validate a JSON body into ``model`` (400 with field errors otherwise)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json.")
    body = await request.body()
    try:
        data = parse_json(body)
    except ValueError as exc:  # incl. UnicodeDecodeError, depth and 18-digit limits
        raise ApiError(400, "invalid_json", str(exc)) from None
    if _has_nul(data):
        raise ApiError(400, "invalid_json", "Strings may not contain NUL characters.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        detail = [
            {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
            for err in exc.errors()
        ]
        raise ApiError(400, "invalid_input", detail) from None


def _has_nul(value: Any) -> bool:
    """Whether a NUL character hides in any string (key or value) of a JSON document."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False
