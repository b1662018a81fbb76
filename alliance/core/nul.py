"""Refuse text no person means to send, once, at the door: the NUL character and lone
surrogates, in the path, the query, the headers and the body, whatever its content type.

- **NUL** (code 0): PostgreSQL text cannot hold it, so a lookup or a write with one fails
  inside the database (`DataError`, a server error on PostgreSQL only), and encrypted text
  would carry it unseen into goal titles or journal bodies.
- **Lone surrogates** (U+D800–U+DFFF without their pair): not characters at all. JSON can
  spell them (`"\\ud800"`), and `json.loads` of bytes lets their UTF-8 form through; such a
  string cannot be encoded as UTF-8, so encrypting or storing it fails.

Both are refused with a 400 and a plain message before any view runs, so nothing is stored.
Every request pays for a few regular-expression scans: the path, the query, the headers, the
raw body, and the decoded form fields. Only a body or a field that spells a NUL or a
surrogate as a JSON escape is decoded as JSON (a correct surrogate pair, as `ensure_ascii`
JSON writes an emoji, is text and passes). A form's files (a therapist's photo) are bytes,
not text: their contents are not scanned, and an upload larger than
DATA_UPLOAD_MAX_MEMORY_SIZE is never read whole into memory.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

NUL = "nul"
SURROGATE = "surrogate"

_BAD_CHAR = re.compile("[\x00\ud800-\udfff]")
# In raw bytes: a NUL byte, or the UTF-8 form of a surrogate (ED A0–BF ..): not valid UTF-8,
# but what json.loads(bytes) decodes with "surrogatepass".
_BAD_BYTES = re.compile(rb"\x00|\xed[\xa0-\xbf]")
# A JSON escape of NUL or of a surrogate; an escaped backslash before it ("\\u0000") is text.
_JSON_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_JSON_ESCAPE_BYTES = re.compile(_JSON_ESCAPE.pattern.encode())
# A percent-escaped surrogate (%ED%A0%80): the form and query parsers would quietly turn it
# into replacement characters; %00 needs no pattern, the parsers decode it to a NUL.
_PERCENT_SURROGATE = re.compile(r"%[eE][dD]%[abAB][0-9a-fA-F]")
_PERCENT_SURROGATE_BYTES = re.compile(_PERCENT_SURROGATE.pattern.encode())

FORM = "application/x-www-form-urlencoded"


def _kind(char: str) -> str:
    return NUL if char == "\x00" else SURROGATE


def _in_text(text: str) -> str | None:
    found = _BAD_CHAR.search(text)
    return _kind(found.group()) if found else None


def hostile_value(value: object) -> str | None:
    """`NUL` or `SURROGATE` when a decoded JSON value (any nesting of dicts, lists and
    strings) holds one in a key or a string, else None. For input that does not come through
    the HTTP middleware, such as a websocket frame."""
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if kind := _in_text(item):
                return kind
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return None


def _in_json(text: str | bytes) -> str | None:
    """What decoding `text` as JSON would let in, or None (also when it is not JSON: then
    nothing decodes its escapes)."""
    try:
        decoded = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return hostile_value(decoded)


def _in_value(text: str) -> str | None:
    if kind := _in_text(text):
        return kind
    if "\\u" in text and _JSON_ESCAPE.search(text):  # JSON carried in a form field
        return _in_json(text)
    return None


def _in_fields(fields: QueryDict) -> str | None:
    for key, values in fields.lists():
        for text in (key, *values):
            if kind := _in_value(text):
                return kind
    return None


def _in_headers(meta: dict[str, Any]) -> str | None:
    for name, value in meta.items():
        read = name.startswith(("HTTP_", "CONTENT_")) and isinstance(value, str)
        if read and (kind := _in_text(value)):
            return kind
    return None


def _text_parts(body: bytes, boundary: bytes) -> bytes:
    """A multipart body without its files' contents: a photo is binary, any byte may be in
    it, and it never becomes text (the form parser hands it over as a file)."""
    kept = []
    for part in body.split(b"--" + boundary):
        head = part.partition(b"\r\n\r\n")[0]
        kept.append(head if b"filename=" in head.lower() else part)
    return b"".join(kept)


def _in_body(request: HttpRequest) -> str | None:
    multipart = request.content_type == "multipart/form-data"
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if multipart and request.method == "POST" and limit is not None and length > limit:
        # An upload too large to hold in memory is streamed by the form parser; only its
        # decoded text fields are checked (the parser turns a surrogate into U+FFFD).
        return _in_fields(request.POST)
    body = request.body
    if not body:
        return None
    boundary = str((request.content_params or {}).get("boundary", "")).encode()
    found = _BAD_BYTES.search(_text_parts(body, boundary) if multipart and boundary else body)
    if found:
        return NUL if found.group() == b"\x00" else SURROGATE
    if request.content_type == FORM and _PERCENT_SURROGATE_BYTES.search(body):
        return SURROGATE
    if request.content_type == FORM or request.content_type == "multipart/form-data":
        # Percent-escapes and multipart transfer encodings are decoded by the form parser.
        if request.method == "POST":
            return _in_fields(request.POST)
        if request.content_type == FORM:
            return _in_fields(QueryDict(body, encoding=request.encoding))
        try:
            fields, _files = request.parse_file_upload(request.META, io.BytesIO(body))
        except MultiPartParserError:
            return None  # not a form: the view refuses it as such
        return _in_fields(fields)
    if b"\\u" in body and _JSON_ESCAPE_BYTES.search(body):
        return _in_json(body)
    return None


def hostile_text(request: HttpRequest) -> str | None:
    """`NUL` or `SURROGATE` when the request carries one anywhere it is read, else None."""
    for text in (request.path, request.path_info):
        if kind := _in_text(text):
            return kind
    if _PERCENT_SURROGATE.search(request.META.get("QUERY_STRING", "")):
        return SURROGATE
    return _in_headers(request.META) or _in_fields(request.GET) or _in_body(request)


def message_for(kind: str) -> str:
    """What to tell the person, in their language."""
    if kind == NUL:
        return _("Text cannot contain the NUL character (code 0).")
    return _(
        "Text cannot contain a lone surrogate (U+D800 to U+DFFF without its pair): "
        "it is not a character."
    )


class RejectNulMiddleware:
    """Answers 400 to a request carrying a NUL or a lone surrogate (see the module's text)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        kind = hostile_text(request)
        if kind is None:
            return self.get_response(request)
        message = message_for(kind)
        if request.path.startswith("/api/") or request.content_type == "application/json":
            return JsonResponse({"detail": message}, status=400)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
