from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from alliance.accounts.models import User
from alliance.care import queries, services
from alliance.care.models import CaseNote
from alliance.privacy import audit
from alliance.privacy.access import access


class NoteForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("New note (only you can read it)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=services.NOTE_MAX_CHARS,
    )


@access("client", "therapist", scope="own_partnerships")
@require_http_methods(["GET", "POST"])
def partnership_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    partnership = queries.partnership_for(user, pk)
    form = NoteForm(request.POST or None) if user.is_therapist else None
    if request.method == "POST":
        if form is None:
            return HttpResponse(status=405)
        if form.is_valid():
            try:
                services.add_case_note(
                    partnership=partnership, author=user, text=form.cleaned_data["text"]
                )
            except services.PartnershipError as exc:
                form.add_error("text", str(exc))
            else:
                messages.success(request, _("Note saved."))
                return redirect("care:partnership_detail", pk=partnership.pk)
    notes = []
    if user.is_therapist:
        if request.method == "GET" and not request.htmx:  # type: ignore[attr-defined]
            # One audit row per opening of the record, not per fragment refresh.
            audit.record(user, audit.Action.OPEN_RECORD, partnership)
        notes = list(CaseNote.objects.filter(partnership=partnership)[:50])
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "care/partnership_detail.html",
        {"partnership": partnership, "form": form, "notes": notes},
        status=status,
    )
