"""The Notifications settings page, push subscription, e-mail unsubscribe and the inbound
text-message webhook. Views parse and render; choices.py does every write."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from twilio.request_validator import RequestValidator

from alliance.accounts.models import User
from alliance.core.mail import absolute
from alliance.notify import choices, kinds, push, sms
from alliance.notify import unsubscribe as one_click
from alliance.notify.forms import CodeForm, PhoneForm, QuietHoursForm
from alliance.notify.models import Phone
from alliance.notify.services import preferences_of
from alliance.privacy.access import access


def _page(request: HttpRequest, quiet_form: QuietHoursForm | None = None) -> HttpResponse:
    user: Any = request.user
    prefs = preferences_of(user)
    phone = Phone.objects.filter(user=user).first()
    rows = [
        {
            "kind": kind,
            "label": kinds.KINDS[kind],
            "channels": [
                {"value": c, "label": label, "checked": prefs.wants(kind, c)}
                for c, label in kinds.CHANNELS.items()
            ],
        }
        for kind in kinds.kinds_for(user.role)
    ]
    quiet_form = quiet_form or QuietHoursForm(
        initial={
            "quiet_start": prefs.quiet_start,
            "quiet_end": prefs.quiet_end,
            "show_detail": prefs.show_detail,
        }
    )
    return render(
        request,
        "notify/settings.html",
        {
            "rows": rows,
            "quiet_form": quiet_form,
            "phone": phone,
            "phone_form": PhoneForm(),
            "code_form": CodeForm(),
            "push_enabled": push.enabled(),
            "vapid_public_key": settings.VAPID_PUBLIC_KEY,
            "sms_enabled": sms.enabled(),
            "zone": user.timezone,
        },
    )


@access("client", "therapist", scope="self")
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    form = QuietHoursForm(request.POST)
    if not form.is_valid():
        return _page(request, form)
    user: Any = request.user
    try:
        choices.update_preferences(
            user=user,
            channels={k: request.POST.getlist(f"channels-{k}") for k in kinds.KINDS},
            quiet_start=form.cleaned_data["quiet_start"],
            quiet_end=form.cleaned_data["quiet_end"],
            show_detail=form.cleaned_data["show_detail"],
        )
    except choices.NotifyError as exc:
        form.add_error(None, str(exc))
        return _page(request, form)
    messages.success(request, _("Your notification choices are saved."))
    return redirect("notify:settings")


def _refusal_or_success(request: HttpRequest, action: Any, success: str) -> HttpResponse:
    try:
        action()
    except choices.NotifyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("notify:settings")


@access("client", "therapist", scope="self")
@require_POST
def phone(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    number = request.POST.get("number", "")
    return _refusal_or_success(
        request,
        lambda: choices.set_phone(user=user, number=number),
        _("We sent a code to your phone. Enter it below to confirm the number."),
    )


@access("client", "therapist", scope="self")
@require_POST
def phone_confirm(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    code = request.POST.get("code", "")
    return _refusal_or_success(
        request,
        lambda: choices.confirm_phone(user=user, code=code),
        _("Your number is confirmed."),
    )


@access("client", "therapist", scope="self")
@require_POST
def phone_remove(request: HttpRequest) -> HttpResponse:
    choices.remove_phone(user=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Your number is removed. No more text messages will be sent."))
    return redirect("notify:settings")


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


@access("client", "therapist", scope="self")
@require_POST
def push_subscribe(request: HttpRequest) -> HttpResponse:
    """The browser's PushSubscription.toJSON(): {endpoint, keys: {p256dh, auth}}."""
    data = _json_body(request)
    found = data.get("keys")
    keys: dict[str, Any] = found if isinstance(found, dict) else {}
    try:
        choices.subscribe(
            user=request.user,  # type: ignore[arg-type]
            endpoint=data.get("endpoint"),
            p256dh=keys.get("p256dh"),
            auth=keys.get("auth"),
        )
    except choices.NotifyError as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    return JsonResponse({"detail": _("Notifications are on for this device.")})


@access("client", "therapist", scope="self")
@require_POST
def push_unsubscribe(request: HttpRequest) -> HttpResponse:
    data = _json_body(request)
    choices.unsubscribe(user=request.user, endpoint=data.get("endpoint"))  # type: ignore[arg-type]
    return JsonResponse({"detail": _("Notifications are off for this device.")})


# No login and no CSRF token: a mail client's one-click POST (RFC 8058) carries neither;
# the signed token is what authorises it, and it can only turn e-mails off.
@access("public", scope="public")
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = one_click.read_token(token)
    user = User.objects.filter(pk=found[0], is_active=True).first() if found else None
    if found is None or user is None:
        return render(request, "notify/unsubscribe.html", {"invalid": True}, status=404)
    kind = found[1]
    # A GET only asks: mail scanners open links, and must not unsubscribe anyone.
    done = request.method == "POST" and choices.stop_emails(user_id=user.pk, kind=kind)
    return render(
        request,
        "notify/unsubscribe.html",
        {"kind_label": kinds.KINDS[kind], "done": done, "token": token},
    )


@access("public", scope="public")
@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    """Twilio's webhook for a text to our number; only a request Twilio signed is heard."""
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    # The address Twilio signed is the public one (behind a proxy, not the one we see).
    url = absolute(request.get_full_path())
    params = request.POST.dict()
    if not (
        settings.TWILIO_AUTH_TOKEN and signature and validator.validate(url, params, signature)
    ):
        return HttpResponse(status=403)
    choices.inbound_text(from_number=params.get("From"), body=params.get("Body"))
    # An empty answer: with Advanced Opt-Out, Twilio itself replies to STOP and START.
    return HttpResponse(
        '<?xml version="1.0" encoding="UTF-8"?><Response></Response>', content_type="text/xml"
    )
