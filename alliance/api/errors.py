"""One error shape for the whole JSON API, and the statuses each operation documents.

Every refusal is `{"detail": "..."}` (an intake form's refusal adds `errors`, the messages
per field), except ninja's own 422, which lists each invalid part of the request. The
statuses mean the same everywhere:

- 400: the input breaks one of the documented rules (the message names it), or the request
  carries text no person means to send (a NUL or a lone surrogate, `alliance.core.nul`).
- 401: no session; 403: the caller's role, second factor, onboarding or CSRF token.
- 404: no such object among those the caller may see.
- 409: the request is well formed but conflicts with the current state (already agreed, the
  partnership has ended, the time is taken...).
- 422: the request does not have the documented shape (a missing field, a wrong type, an
  unknown field, a number out of range).
- 429: over the rate limit (`alliance.api.throttles`); `Retry-After` says when to retry.
"""

from __future__ import annotations

from typing import Any, NoReturn

from ninja import Schema
from ninja.errors import HttpError
from pydantic import Field
from pydantic_core import PydanticCustomError

# The error type of a documented input rule that pydantic does not know (a text that must
# not be blank, a date within a window): refused with a 400 and the rule's own message.
INPUT_RULE = "input_rule"


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, in words a person can act on.")
    errors: dict[str, list[str]] = Field(
        default_factory=dict, description="Messages per field, when a form was refused."
    )


class ValidationItemOut(Schema):
    type: str
    loc: list[str | int] = Field(description="Where: body, path or query, then the field.")
    msg: str
    ctx: dict[str, Any] = Field(default_factory=dict)


class ValidationErrorOut(Schema):
    detail: list[ValidationItemOut]


def rule_broken(message: object) -> PydanticCustomError:
    """The error a validator raises for a documented rule; the API answers it with a 400."""
    # The message is a finished sentence: braces in it must not be read as a template.
    text = str(message).replace("{", "{{").replace("}", "}}")
    return PydanticCustomError(INPUT_RULE, text)


def refuse(status: int, message: object) -> NoReturn:
    """Answer `{"detail": message}` with `status` (400, 404 or 409)."""
    raise HttpError(status, str(message))


def responses(
    success: dict[int, Any], *errors: int, signed_in: bool = True, inputs: bool = True
) -> dict[int, Any]:
    """The `response=` of an operation: its successes, the statuses every operation can
    answer (400 for text refused at the door, 429 over the rate limit), 401 and 403 when a
    session is needed, 422 when it takes input, and the operation's own `errors`."""
    out: dict[int, Any] = dict(success)
    codes = {400, 429, *errors}
    if signed_in:
        codes |= {401, 403}
    for code in codes:
        out[code] = ErrorOut
    if inputs:
        out[422] = ValidationErrorOut
    return dict(sorted(out.items()))
