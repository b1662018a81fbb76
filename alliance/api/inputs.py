"""Input types shared by the API's routers: each documents in the OpenAPI schema exactly the
rule it enforces, so a request the schema calls valid is accepted and one it calls invalid
is refused.

- Ids are whole numbers from 1 to the largest database key (a larger one would overflow
  the database's integer, a server error before).
- Body numbers and booleans are strict: `true` is not 1 and `"yes"` is not true (2.0 is the
  integer 2, as JSON Schema counts it). Dates and times are text in their RFC 3339 form.
- Text never holds a NUL (refused at the door, `alliance.core.nul`); a required text must
  have a character that is not white space (the services strip it), and a text is at most
  `limit` characters as sent. These text rules answer 400 with the service's own message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from django.utils.translation import gettext
from ninja import Path
from pydantic import (
    BeforeValidator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StrictBool,
    StrictInt,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from alliance.api.errors import rule_broken

MAX_ID = 2**63 - 1  # BigAutoField

# White space as Python's str.strip() and str.isspace() see it, spelled out so the
# documented pattern means the same in every regular-expression engine that reads it.
WHITE_SPACE = r"\t-\r\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NO_NUL = r"^[^\u0000]*$"
VISIBLE = rf"^[^\u0000]*[^\u0000{WHITE_SPACE}][^\u0000]*$"
_NO_NUL = re.compile(NO_NUL)
_VISIBLE = re.compile(VISIBLE)


def _whole(value: Any) -> Any:
    # JSON Schema counts 2.0 as the integer 2; `true` and "2" are not integers.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
WholeNumber = Annotated[StrictInt, BeforeValidator(_whole)]
BodyId = Annotated[StrictInt, Field(ge=1, le=MAX_ID), BeforeValidator(_whole)]
Flag = StrictBool
_FULL_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# RFC 3339 date-time, as the OpenAPI "date-time" format: with seconds and an offset.
_DATE_TIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)


def _as_sent(pattern: re.Pattern[str], kind: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        # JSON has no dates: a date is text in its RFC 3339 form, never a number.
        if not isinstance(value, str) or not pattern.match(value):
            raise PydanticCustomError(f"{kind}_type", f"Input should be a valid {kind}")
        return value

    return check


StrictDate = Annotated[dt.date, BeforeValidator(_as_sent(_FULL_DATE, "date"))]
StrictDateTime = Annotated[dt.datetime, BeforeValidator(_as_sent(_DATE_TIME, "datetime"))]

Message = Callable[[], object]


@dataclass(frozen=True)
class Text:
    """Metadata for `Annotated[str, Text(...)]`: at most `limit` characters and no NUL; with
    `blank`, not only white space. `too_long(limit)` and `blank()` give the messages
    (translated when called), as the service words them."""

    limit: int
    too_long: Callable[[int], object]
    blank: Message | None = None

    def check(self, value: str) -> str:
        if len(value) > self.limit:
            raise rule_broken(self.too_long(self.limit))
        pattern = _VISIBLE if self.blank is not None else _NO_NUL
        if not pattern.fullmatch(value):
            if "\x00" in value or self.blank is None:
                raise rule_broken(gettext("Text cannot contain the NUL character (code 0)."))
            raise rule_broken(self.blank())
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        documented: JsonSchemaValue = {"type": "string", "maxLength": self.limit}
        if self.blank is not None:
            documented |= {"minLength": 1, "pattern": VISIBLE}
        else:
            documented["pattern"] = NO_NUL
        return documented


@dataclass(frozen=True)
class Choice:
    """Metadata for `Annotated[str, Choice(...)]`: one of `values`, documented as an enum and
    refused with a 400 and `message()`, as the service words it."""

    values: tuple[str, ...]
    message: Message

    def check(self, value: str) -> str:
        if value not in self.values:
            raise rule_broken(self.message())
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "enum": list(self.values)}


@dataclass(frozen=True)
class Documented:
    """Metadata for a field whose documented schema is built each time the OpenAPI schema is
    served, so an example can be one that is valid today (a due date, a bookable time)."""

    schema: Callable[[], JsonSchemaValue]

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return self.schema()
