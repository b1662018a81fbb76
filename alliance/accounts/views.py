from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth import views as auth_views
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token

from alliance.accounts import consent, services
from alliance.accounts.forms import ConsentForm, LoginForm, ProfileForm, SignUpForm, TokenForm
from alliance.accounts.models import ConsentRecord, User
from alliance.core.crisis import resources_for
from alliance.privacy.access import access

DEFAULT_ZONE = "UTC"  # User.timezone's default: nobody has chosen one yet


@access("public", scope="public")
@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.is_minor():
            # Adults only: nothing is stored, and the person gets help that fits them.
            return render(
                request, "accounts/minor.html", {"resources": resources_for(None)}, status=200
            )
        try:
            user = services.sign_up_client(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                display_name=form.cleaned_data["display_name"],
                date_of_birth=form.cleaned_data["date_of_birth"],
            )
        except IntegrityError:  # the same address signed up a moment ago (a double submit)
            form.add_error("email", form.DUPLICATE_EMAIL)
            return render(request, "accounts/sign_up.html", {"form": form}, status=400)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.info(request, _("Welcome. We sent you an e-mail to confirm your address."))
        return redirect("accounts:onboarding")
    return render(request, "accounts/sign_up.html", {"form": form})


@access("public", scope="public")
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    user = services.verify_email(token=token)
    if user is None:
        return render(request, "accounts/verify_failed.html", status=400)
    messages.success(request, _("Thank you, your e-mail address is confirmed."))
    return redirect("accounts:onboarding" if request.user.is_authenticated else "accounts:login")


@access("client", scope="self", before_onboarding=True)
@require_POST
def resend_verification(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user.email_verified_at is None:
        services.send_verification_email(user=user)
        messages.info(request, _("We sent the e-mail again."))
    return redirect("accounts:onboarding")


@access("client", scope="self", before_onboarding=True)
@require_http_methods(["GET", "POST"])
def onboarding(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    profile = user.client_profile
    text = consent.current("telehealth")
    initial = {
        "jurisdiction": profile.jurisdiction_id,
        "timezone": user.timezone,
        "emergency_contact_name": profile.emergency_contact_name,
        "emergency_contact_phone": profile.emergency_contact_phone,
        "emergency_contact_relationship": profile.emergency_contact_relationship,
    }
    step = request.POST.get("step")
    profile_form = ProfileForm(request.POST if step == "profile" else None, initial=initial)
    if not profile.is_complete and user.timezone == DEFAULT_ZONE:
        # Nobody has chosen yet: the page proposes the browser's zone (static/js/timezone.js)
        # instead of leaving the default for someone who may live far from it.
        profile_form.fields["timezone"].widget.attrs["data-propose-browser-zone"] = "1"
    consent_form = ConsentForm(request.POST if step == "consent" else None)
    if step == "profile" and profile_form.is_valid():
        data = profile_form.cleaned_data
        services.save_client_profile(
            user=user,
            jurisdiction=data["jurisdiction"],
            timezone_name=data["timezone"],
            emergency_contact_name=data["emergency_contact_name"],
            emergency_contact_phone=data["emergency_contact_phone"],
            emergency_contact_relationship=data["emergency_contact_relationship"],
        )
        messages.success(request, _("Your details are saved."))
        return redirect("accounts:onboarding")
    if step == "consent" and consent_form.is_valid():
        services.give_consent(user=user, kind="telehealth")
        messages.success(request, _("Thank you for your consent."))
        return redirect("accounts:onboarding")
    user.refresh_from_db()
    if user.onboarding_complete and request.method == "GET":
        return redirect("home:home")
    context = {
        "profile_form": profile_form,
        "consent_form": consent_form,
        "consent_text": text,
        "verified": user.email_verified_at is not None,
        "profile_done": user.client_profile.is_complete,
        "consent_done": ConsentRecord.objects.active(user, "telehealth").exists(),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/onboarding.html", context, status=status)


@access("public", scope="public")
@require_http_methods(["GET", "POST"])
def log_in(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            email=form.cleaned_data["email"].lower(),
            password=form.cleaned_data["password"],
        )
        if getattr(request, "axes_locked_out", False):
            return locked_out(request)
        if user is not None:
            login(request, user)
            if user.role in {User.Role.THERAPIST, User.Role.ADMIN}:
                return redirect("accounts:two_factor")
            return redirect(_safe_next(request) or "home:home")
        form.add_error(None, _("That e-mail address and password do not match an account."))
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/login.html", {"form": form}, status=status)


def _safe_next(request: HttpRequest) -> str | None:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return None


def locked_out(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    return render(request, "accounts/locked_out.html", status=429)


@access("client", "therapist", "admin", scope="self", before_2fa=True, before_onboarding=True)
@require_POST
def log_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    # The quick exit logs out quietly: a "You are logged out" shown to whoever opens the
    # site next in that browser would tell them someone had been here.
    if request.GET.get("quiet") != "1":
        messages.info(request, _("You are logged out."))
    response = redirect("accounts:login")
    # Whatever the browser still holds of this site's pages goes with the session.
    response["Clear-Site-Data"] = '"cache"'
    return response


@access("therapist", "admin", scope="self", before_2fa=True)
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator (first time) or enter a code (every log-in)."""
    user: User = request.user  # type: ignore[assignment]
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect("home:home")
    form = TokenForm(request.POST or None)
    if not services.has_confirmed_device(user):
        device = services.pending_totp_device(user=user)
        if request.method == "POST" and form.is_valid():
            codes = services.confirm_totp(user=user, token=form.cleaned_data["token"].strip())
            if codes is not None:
                device.refresh_from_db()
                otp_login(request, device)
                return render(request, "accounts/recovery_codes.html", {"codes": codes})
            form.add_error(
                "token",
                _("That code is not right. Check the time on your phone and try the newest code."),
            )
        qr = segno.make(device.config_url, micro=False)
        context = {
            "form": form,
            "setup": True,
            "qr_svg": qr.svg_data_uri(scale=4, dark="#1f2d3d"),
            "secret": _base32(device),
        }
        return render(
            request,
            "accounts/two_factor.html",
            context,
            status=400 if request.method == "POST" else 200,
        )
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"].strip())
        if device is not None:
            otp_login(request, device)
            return redirect(_safe_next(request) or "home:home")
        form.add_error(
            "token",
            _(
                "That code is not right, or it was already used. "
                "Wait for the next code and try again."
            ),
        )
    status = 400 if request.method == "POST" else 200
    return render(
        request, "accounts/two_factor.html", {"form": form, "setup": False}, status=status
    )


def _base32(device: Any) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode("ascii")


# Password reset and invitation acceptance use Django's views with our templates.
password_reset = access("public", scope="public")(
    auth_views.PasswordResetView.as_view(
        template_name="accounts/password_reset.html",
        email_template_name="accounts/email/password_reset.txt",
        subject_template_name="accounts/email/password_reset_subject.txt",
        success_url=reverse_lazy("accounts:password_reset_done"),
    )
)
password_reset_done = access("public", scope="public")(
    auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
)
password_reset_confirm = access("public", scope="public")(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="accounts/password_reset_confirm.html",
        success_url=reverse_lazy("accounts:password_reset_complete"),
    )
)
password_reset_complete = access("public", scope="public")(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="accounts/password_reset_complete.html"
    )
)
