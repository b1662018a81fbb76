"""The interface language: the switcher in the top bar and the stored preference.

A visitor picks a language with the switcher (Django's language cookie). A logged-in person's
choice is also stored in `User.preferred_language`, which e-mails and reminders use and which
is applied again each time they log in, on any device. A choice made on the log-in page just
before logging in is the newest one, so it is stored rather than overridden; a new account
keeps the language it was created in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Literal, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_GET, require_POST

from alliance.privacy.access import access

# A choice made with the switcher before logging in (kept across log-in by Django).
CHOSEN_KEY = "alliance_language_chosen"


def supported_codes() -> frozenset[str]:
    return frozenset(code for code, _name in settings.LANGUAGES)


def supported(code: str | None) -> str | None:
    """`code` as one of the interface languages (`es-MX` -> `es`), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def remember_language(*, user: object, code: str) -> None:
    """Store `code` as the user's preferred language (no write when it is already stored)."""
    from alliance.accounts.models import User

    if not isinstance(user, User) or code not in supported_codes():
        return
    if user.preferred_language == code:
        return
    with transaction.atomic():
        user.preferred_language = code
        user.save(update_fields=["preferred_language"])


def set_language_cookie(response: HttpResponse, code: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=cast(Literal["Lax", "Strict", "None"], settings.LANGUAGE_COOKIE_SAMESITE),
    )


@access("public", scope="public")
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The switcher's target: Django's `set_language`, limited to the interface languages,
    and remembered for the person when they are logged in."""
    code = request.POST.get(i18n.LANGUAGE_QUERY_PARAMETER, "")
    response = i18n.set_language(request)
    if code not in supported_codes():
        # Django accepts any language it has a catalogue for; only ours may be chosen.
        response.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
        messages.error(request, _("That language is not available."))
        return response
    if request.user.is_authenticated:
        remember_language(user=request.user, code=code)
    else:
        request.session[CHOSEN_KEY] = code
    return response


_catalog = i18n.JavaScriptCatalog.as_view()


@access("public", scope="public")
@require_GET
def javascript_catalog(request: HttpRequest) -> HttpResponseBase:
    """Django's JavaScript catalogue (`gettext()` for the call and chat scripts) in the
    page's language; a static script, so it runs under the strict CSP."""
    return _catalog(request)


class PreferredLanguageMiddleware:
    """On the request that logs someone in (log-in or sign-up), bring their stored language
    into effect with the language cookie. Placed after AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        before = request.session.get(SESSION_KEY)
        started = timezone.now()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and str(user.pk) != before:
            code = self._after_log_in(request, user, started)
            set_language_cookie(response, code)
        return response

    @staticmethod
    def _after_log_in(request: HttpRequest, user: object, started: datetime) -> str:
        chosen = supported(request.session.pop(CHOSEN_KEY, None))
        joined = getattr(user, "date_joined", None)
        if chosen is None and joined is not None and joined >= started:
            # The account was created by this request: keep the language it was made in.
            chosen = supported(translation.get_language())
        if chosen is not None:
            remember_language(user=user, code=chosen)
        stored = supported(getattr(user, "preferred_language", None))
        return stored or settings.LANGUAGE_CODE


def localized(texts: Mapping[str, str]) -> str:
    """Per-language text (an instrument's title, instructions, items) in the active language,
    falling back to English, which every instrument has."""
    code = (translation.get_language() or settings.LANGUAGE_CODE)[:2]
    return str(texts.get(code) or texts.get("en") or next(iter(texts.values()), ""))


def shown_in_english(languages: Mapping[str, str]) -> bool:
    """True when an instrument has no text of its own in the active language.

    Validated instruments carry only the official translations with their source (PHQ-9 and
    GAD-7: English only for now, see docs/measures.md), so they are shown in English with a
    note rather than translated here."""
    code = (translation.get_language() or settings.LANGUAGE_CODE)[:2]
    return code not in languages
