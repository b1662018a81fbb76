"""Progress-note pages: the note editor of one appointment (choose a format, write only its
fields, save, sign), a signed note with its addenda, sharing it, the notes late to sign,
the co-signature queue of a supervisor, and the practice admin's formats and supervision.

The format chooser is a plain GET form (`?template=dap`): the page re-renders with that
format's fields only, so choosing needs no script. A refused change shows its reason with
a 400 and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.accounts.models import User
from alliance.core.zones import zone_of
from alliance.privacy import audit
from alliance.privacy.access import access
from alliance.schedule import forms, note_admin, note_queries, queries, services
from alliance.schedule.models import Appointment, NoteSupervision, NoteTemplate, ProgressNote
from alliance.schedule.note_templates import FREE, SHIPPED, NoteFormat, localized


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _note_of(appointment: Appointment, user: User) -> ProgressNote | None:
    """The appointment's note, for its author only (anyone else: 404, nothing leaked)."""
    note = (
        ProgressNote.objects.filter(appointment=appointment)
        .select_related("signed_by", "cosigner", "cosigned_by")
        .first()
    )
    if note is not None and note.author_id != user.pk:
        raise Http404("no such note")
    return note


def _reading(note: ProgressNote | None) -> dict[str, Any]:
    if note is None:
        return {"note": None, "sections": [], "addenda": []}
    return {
        "note": note,
        "sections": note_queries.shown_sections(note),
        "addenda": list(note.addenda.select_related("author")),
    }


def _note_page(
    request: HttpRequest,
    appointment: Appointment,
    *,
    fmt: NoteFormat | None = None,
    form: forms.NoteForm | None = None,
    addendum_form: forms.AddendumForm | None = None,
    error: str | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    note = _note_of(appointment, user)
    if note is not None:
        audit.record_opening(user, note, refresh=audit.is_refresh(request))
    context: dict[str, Any] = _reading(note) | {
        "appointment": appointment,
        "zone": str(zone_of(user)),
        "error": error,
        "addendum_form": addendum_form or forms.AddendumForm(),
    }
    if note is None or not note.is_signed:
        if fmt is None and note is not None:
            fmt = note_queries.format_for(note.template, include_retired=True)
        fmt = fmt or localized(SHIPPED[0])
        if form is None:
            values = note.section_values() if note is not None else {}
            initial = {"template": fmt.key} | {k: values.get(k, "") for k in fmt.field_keys}
            form = forms.NoteForm(initial=initial, fmt=fmt)
        context |= {
            "fmt": fmt,
            "form": form,
            "chooser": forms.NoteFormatForm(
                initial={"template": fmt.key},
                formats=note_queries.available_formats(),
                auto_id="choose_%s",  # the editor's hidden `template` has the plain id
            ),
        }
    return render(request, "schedule/note.html", context, status=status)


@access("therapist", scope="own_partnerships")
@require_http_methods(["GET", "POST"])
def note(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    appointment = queries.appointment_for(user, pk)
    if request.method == "GET":
        key = request.GET.get("template")
        fmt = note_queries.format_for(key or FREE)
        if key and fmt is None:
            return _note_page(request, appointment, error=_("Choose a note format."), status=400)
        return _note_page(request, appointment, fmt=fmt if key else None)
    fmt = note_queries.format_for(request.POST.get("template", ""))
    if fmt is None:
        return _note_page(request, appointment, error=_("Choose a note format."), status=400)
    form = forms.NoteForm(request.POST, fmt=fmt)
    try:
        services.save_progress_note(
            appointment=appointment, author=user, template=fmt.key, **form.sections()
        )
    except services.ScheduleError as exc:
        return _note_page(request, appointment, fmt=fmt, form=form, error=str(exc), status=400)
    messages.success(request, _("Note saved."))
    return redirect("schedule:note", pk=appointment.pk)


def _own_note(request: HttpRequest, pk: int) -> tuple[Appointment, ProgressNote]:
    appointment = queries.appointment_for(_user(request), pk)
    found = _note_of(appointment, _user(request))
    if found is None:
        raise Http404("no note yet")
    return appointment, found


@access("therapist", scope="own_partnerships")
@require_POST
def sign_note(request: HttpRequest, pk: int) -> HttpResponse:
    appointment, found = _own_note(request, pk)
    try:
        services.sign_progress_note(note=found, by=_user(request))
    except services.ScheduleError as exc:
        return _note_page(request, appointment, error=str(exc), status=400)
    messages.success(request, _("Signed. The note is locked; add an addendum to change it."))
    return redirect("schedule:note", pk=appointment.pk)


@access("therapist", scope="own_partnerships")
@require_POST
def add_addendum(request: HttpRequest, pk: int) -> HttpResponse:
    appointment, found = _own_note(request, pk)
    form = forms.AddendumForm(request.POST)
    text = form.cleaned_data["text"] if form.is_valid() else ""
    try:
        services.add_note_addendum(note=found, author=_user(request), text=text)
    except services.ScheduleError as exc:
        return _note_page(request, appointment, addendum_form=form, error=str(exc), status=400)
    messages.success(request, _("Addendum added."))
    return redirect("schedule:note", pk=appointment.pk)


@access("therapist", scope="own_partnerships")
@require_POST
def share_note(request: HttpRequest, pk: int) -> HttpResponse:
    appointment, found = _own_note(request, pk)
    shared = request.POST.get("shared") == "1"
    try:
        services.share_progress_note(note=found, by=_user(request), shared=shared)
    except services.ScheduleError as exc:
        return _note_page(request, appointment, error=str(exc), status=400)
    messages.success(request, _("Shared with the client.") if shared else _("No longer shared."))
    return redirect("schedule:note", pk=appointment.pk)


@access("therapist", scope="own_partnerships")
@require_GET
def unsigned_notes(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    rows = list(note_queries.late_to_sign(user)[:200])
    return render(
        request,
        "schedule/notes_unsigned.html",
        {
            "rows": rows,
            "zone": str(zone_of(user)),
            "hours": int(note_queries.sign_limit().total_seconds() // 3600),
        },
    )


@access("therapist", scope="own_partnerships")
@require_GET
def cosign_queue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "schedule/notes_cosign.html",
        {"notes": list(note_queries.awaiting_cosignature(user)[:200]), "zone": str(zone_of(user))},
    )


@access("therapist", scope="own_partnerships")
@require_http_methods(["GET", "POST"])
def cosign_note(request: HttpRequest, pk: int) -> HttpResponse:
    """A supervisor reads a note awaiting them and co-signs it. They are not the client's
    therapist, so every opening is in the audit log with its reason."""
    user = _user(request)
    found = note_queries.awaiting_cosignature(user).filter(pk=pk).first()
    if found is None:
        raise Http404("no such note awaiting you")
    error = None
    if request.method == "POST":
        try:
            services.cosign_progress_note(note=found, by=user)
        except services.ScheduleError as exc:
            error = str(exc)
        else:
            messages.success(request, _("Co-signed."))
            return redirect("schedule:cosign_queue")
    audit.record_opening(user, found, refresh=audit.is_refresh(request), reason="co-signature")
    context = _reading(found) | {"error": error, "zone": str(zone_of(user))}
    return render(request, "schedule/note_cosign.html", context, status=400 if error else 200)


def _admin_action(request: HttpRequest) -> str:
    user = _user(request)
    action = request.POST.get("action")
    if action == "add_template":
        form = forms.NoteTemplateForm(request.POST)
        if not form.is_valid():
            raise services.ScheduleError(_("Give the format a name and its sections."))
        note_admin.create_note_template(
            name=form.cleaned_data["name"],
            labels=form.cleaned_data["labels"].splitlines(),
            by=user,
        )
        return _("Note format added.")
    if action == "retire_template":
        note_admin.retire_note_template(template_id=_int(request.POST.get("id")), by=user)
        return _("Note format retired; its notes stay readable.")
    if action == "set_supervision":
        supervision = forms.SupervisionForm(request.POST)
        if not supervision.is_valid():
            raise services.ScheduleError(_("Choose a clinician and their supervisor."))
        note_admin.set_supervision(by=user, **supervision.cleaned_data)
        return _("Supervision saved.")
    if action == "end_supervision":
        note_admin.end_supervision(clinician_id=_int(request.POST.get("id")), by=user)
        return _("Supervision ended.")
    raise services.ScheduleError(_("Unknown action."))


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0


@access("admin", scope="practice")
@require_http_methods(["GET", "POST"])
def note_settings(request: HttpRequest) -> HttpResponse:
    """The practice's own note formats and its pre-licensed clinicians' supervisors."""
    error = None
    if request.method == "POST":
        try:
            done = _admin_action(request)
        except services.ScheduleError as exc:
            error = str(exc)
        else:
            messages.success(request, done)
            return redirect("schedule:note_settings")
    context = {
        "error": error,
        "shipped": [localized(fmt) for fmt in SHIPPED],
        "templates": NoteTemplate.objects.all(),
        "supervisions": NoteSupervision.objects.select_related("clinician", "supervisor"),
        "template_form": forms.NoteTemplateForm(request.POST)
        if error and request.POST.get("action") == "add_template"
        else forms.NoteTemplateForm(),
        "supervision_form": forms.SupervisionForm(),
    }
    return render(request, "schedule/note_settings.html", context, status=400 if error else 200)
