from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from alliance.accounts.models import User
from alliance.care import queries as care_queries
from alliance.core.crisis import resources_for_user
from alliance.goals.models import Goal
from alliance.journal import forms, prompts, queries, services
from alliance.journal.models import NotebookPrompt
from alliance.privacy import audit
from alliance.privacy.access import access


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _crisis_context(user: User, result: services.EntryResult | None) -> dict[str, Any]:
    """Shown at once when what was written has crisis language, shared or not."""
    if result is None or not result.crisis_phrases:
        return {"crisis": False}
    return {"crisis": True, "resources": resources_for_user(user), "alerted": result.alerted}


def _entry_form(user: User, data: Any = None) -> forms.EntryForm:
    partnership = care_queries.active_partnership_of_client(user)
    goals = (
        list(Goal.objects.filter(partnership=partnership, status=Goal.Status.ACTIVE))
        if partnership is not None
        else []
    )
    return forms.EntryForm(
        data, prompts=prompts.prompts_for(goals), can_share=partnership is not None
    )


@access("client", scope="self")
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """The client's journal: write an entry, see earlier ones and assigned notebooks."""
    user = _user(request)
    form = _entry_form(user, request.POST or None)
    result = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                result = services.write_entry(
                    client=user,
                    body=form.cleaned_data["body"],
                    mood=form.cleaned_data["mood"],
                    prompt_key=form.cleaned_data.get("prompt") or "",
                    bring_to_session=form.cleaned_data["bring_to_session"],
                    share=bool(form.cleaned_data.get("share")),
                )
            except services.JournalError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                if not result.crisis_phrases:
                    messages.success(
                        request,
                        _("Entry shared with your therapist.")
                        if result.entry.is_shared
                        else _("Entry saved. Only you can read it."),
                    )
                    return redirect("journal:home")
                form = _entry_form(user)  # saved: show the resources with an empty form
        else:
            status = 400
    entries = Paginator(queries.own_entries(user), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "journal/home.html",
        {
            "form": form,
            "entries": entries,
            "assignments": list(queries.assignments_for_client(user)[:10]),
            "saved": result.entry if result else None,
            **_crisis_context(user, result),
        },
        status=status,
    )


@access("client", scope="self")
@require_http_methods(["GET", "POST"])
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    entry = queries.own_entry(user, pk)
    result = None
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "share":
                result = services.share_entry(entry=entry, by=user)
                entry = result.entry
                if not result.crisis_phrases:
                    messages.success(request, _("Entry shared with your therapist."))
                    return redirect("journal:entry_detail", pk=entry.pk)
            elif action == "unshare":
                services.unshare_entry(entry=entry, by=user)
                messages.success(request, _("Entry is private again."))
                return redirect("journal:entry_detail", pk=entry.pk)
            else:
                raise services.JournalError(_("Unknown action."))
        except services.JournalError as exc:
            error = str(exc)
    can_share = (
        entry.partnership is not None and entry.partnership.is_active and not entry.is_shared
    )
    return render(
        request,
        "journal/entry_detail.html",
        {"entry": entry, "error": error, "can_share": can_share, **_crisis_context(user, result)},
        status=400 if error else 200,
    )


@access("client", "therapist", scope="own_partnerships")
@require_http_methods(["GET"])
def shared_entries(request: HttpRequest, pk: int) -> HttpResponse:
    """Entries the client shared in this partnership; never a private one."""
    user = _user(request)
    partnership = care_queries.partnership_for(user, pk)
    if user.is_therapist:
        audit.record_opening(user, partnership, refresh=audit.is_refresh(request))
    entries = Paginator(queries.shared_entries(partnership), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "journal/shared_entries.html",
        {
            "partnership": partnership,
            "entries": entries,
            "assignments": list(queries.assignments_of(partnership)[:20]),
        },
    )


# --- notebooks ------------------------------------------------------------------------


@access("therapist", scope="self")
@require_http_methods(["GET", "POST"])
def notebooks(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = forms.NotebookForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                notebook = services.create_notebook(
                    author=user,
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    prompt_texts=form.cleaned_data["prompts"].splitlines(),
                )
            except services.JournalError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Notebook saved."))
                return redirect("journal:notebook_detail", pk=notebook.pk)
        status = 400
    return render(
        request,
        "journal/notebooks.html",
        {"notebooks": list(queries.notebooks_for(user)), "form": form},
        status=status,
    )


@access("therapist", scope="own_partnerships")
@require_http_methods(["GET", "POST"])
def notebook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    notebook = queries.notebook_for(user, pk)
    caseload = list(care_queries.caseload(user))
    form = forms.AssignForm(request.POST or None, caseload=caseload)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            partnership = next(p for p in caseload if p.pk == form.cleaned_data["partnership"])
            try:
                services.assign_notebook(
                    notebook=notebook,
                    partnership=partnership,
                    by=user,
                    note=form.cleaned_data["note"],
                )
            except services.JournalError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Notebook given to %(name)s.") % {"name": partnership.client.name},
                )
                return redirect("journal:notebook_detail", pk=notebook.pk)
        status = 400
    return render(
        request,
        "journal/notebook_detail.html",
        {"notebook": notebook, "prompts": list(notebook.prompts.all()), "form": form},
        status=status,
    )


@access("client", "therapist", scope="own_partnerships")
@require_http_methods(["GET", "POST"])
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A notebook given to a client: its prompts, and (for the client) a place to answer."""
    user = _user(request)
    assignment = queries.assignment_for(user, pk)
    notebook_prompts = list(assignment.notebook.prompts.all())
    form = None
    result = None
    status = 200
    if user.is_client:
        form = forms.EntryForm(request.POST or None, can_share=assignment.partnership.is_active)
        if request.method == "POST":
            chosen = next(
                (p for p in notebook_prompts if str(p.pk) == request.POST.get("notebook_prompt")),
                None,
            )
            if form.is_valid() and chosen is not None:
                try:
                    result = services.write_entry(
                        client=user,
                        body=form.cleaned_data["body"],
                        mood=form.cleaned_data["mood"],
                        bring_to_session=form.cleaned_data["bring_to_session"],
                        share=bool(form.cleaned_data.get("share")),
                        assignment=assignment,
                        notebook_prompt=chosen,
                    )
                except services.JournalError as exc:
                    form.add_error(None, str(exc))
                    status = 400
                else:
                    if not result.crisis_phrases:
                        messages.success(request, _("Saved."))
                        return redirect("journal:assignment_detail", pk=assignment.pk)
                    form = forms.EntryForm(can_share=assignment.partnership.is_active)
            else:
                if chosen is None:
                    form.add_error(None, _("Please choose one of the notebook's prompts."))
                status = 400
    elif request.method == "POST":
        return HttpResponse(status=405)
    answered: dict[int, int] = {}
    entries = assignment.entries.all()
    if user.is_therapist:
        entries = entries.filter(shared_at__isnull=False)
        audit.record_opening(user, assignment.partnership, refresh=audit.is_refresh(request))
    for prompt_id in entries.values_list("notebook_prompt_id", flat=True):
        if prompt_id is not None:
            answered[prompt_id] = answered.get(prompt_id, 0) + 1
    rows: list[tuple[NotebookPrompt, int]] = [(p, answered.get(p.pk, 0)) for p in notebook_prompts]
    return render(
        request,
        "journal/assignment_detail.html",
        {
            "assignment": assignment,
            "rows": rows,
            "form": form,
            "shared": list(entries.filter(shared_at__isnull=False)[:20])
            if user.is_therapist
            else [],
            **_crisis_context(user, result),
        },
        status=status,
    )
