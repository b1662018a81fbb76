from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from alliance.accounts import services as account_services
from alliance.accounts.forms import InviteTherapistForm
from alliance.accounts.models import User
from alliance.directory import portraits, queries, services
from alliance.directory.forms import LicenceForm, TherapistProfileForm
from alliance.directory.models import Licence, TherapistProfile
from alliance.privacy.access import access


@access("therapist", scope="self")
@require_http_methods(["GET", "POST"])
def my_licences(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = LicenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_licence(therapist=user, **form.cleaned_data)
        except services.LicenceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Licence added. A practice admin will verify it."))
            return redirect("directory:my_licences")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "directory/my_licences.html",
        {"form": form, "licences": queries.licences_of(user)},
        status=status,
    )


@access("therapist", scope="self")
@require_http_methods(["GET", "POST"])
def my_profile(request: HttpRequest) -> HttpResponse:
    """The therapist's statement and photo, as clients choosing a therapist see them."""
    user: User = request.user  # type: ignore[assignment]
    profile = get_object_or_404(TherapistProfile, user=user)
    form = TherapistProfileForm(
        request.POST or None, request.FILES or None, initial={"statement": profile.statement}
    )
    if profile.photo_updated_at is None:
        del form.fields["remove_photo"]  # nothing to remove
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(
                therapist=user,
                statement=form.cleaned_data["statement"],
                photo=form.cleaned_data["photo"],
                remove_photo=form.cleaned_data.get("remove_photo", False),
            )
        except services.ProfileError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("directory:my_profile")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "profile": profile, "initials": portraits.initials(user.name)}
    return render(request, "directory/my_profile.html", context, status=status)


@access("admin", scope="practice")
def therapist_detail(request: HttpRequest, pk: int) -> HttpResponse:
    therapist = get_object_or_404(User, pk=pk, role=User.Role.THERAPIST)
    return render(
        request,
        "directory/therapist_detail.html",
        {"therapist": therapist, "licences": queries.licences_of(therapist)},
    )


@access("admin", scope="practice")
@require_POST
def verify_licence(request: HttpRequest, pk: int) -> HttpResponse:
    licence = get_object_or_404(Licence, pk=pk)
    try:
        services.verify_licence(licence=licence, admin=request.user)  # type: ignore[arg-type]
    except services.LicenceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Licence verified."))
    return redirect("directory:therapist_detail", pk=licence.therapist_id)


@access("admin", scope="practice")
@require_http_methods(["GET", "POST"])
def invite_therapist(request: HttpRequest) -> HttpResponse:
    form = InviteTherapistForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        therapist = account_services.invite_therapist(
            email=form.cleaned_data["email"],
            display_name=form.cleaned_data["display_name"],
            invited_by=request.user,  # type: ignore[arg-type]
        )
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": therapist.email})
        return redirect("directory:therapist_detail", pk=therapist.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "directory/invite.html", {"form": form}, status=status)
