"""Conversation pages: the inbox, a conversation (messages and live chat, with a plain
HTTP form when the socket is down), the pre-call setup check and the call page."""

from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.care.queries import partnership_for, visible_partnerships
from alliance.conversations import queries, reading, services
from alliance.core.crisis import resources_for_user
from alliance.directory.models import Jurisdiction
from alliance.privacy import audit
from alliance.privacy.access import access


class MessageForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=True,
    )
    # Generated with the page (and by the script for each message it sends), so sending the
    # same form twice stores the message once.
    client_id = forms.CharField(widget=forms.HiddenInput, max_length=64)


def _fresh_form(data: dict[str, str] | None = None) -> MessageForm:
    return MessageForm(data, initial={"client_id": uuid.uuid4().hex})


def humane_duration(delta: dt.timedelta | None) -> str | None:
    if delta is None:
        return None
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes < 60:
        return (
            _("within about %(n)s minutes") % {"n": minutes}
            if minutes > 1
            else _("within a minute")
        )
    hours = round(minutes / 60)
    if hours < 24:
        return (
            _("within about %(n)s hours") % {"n": hours} if hours > 1 else _("within about an hour")
        )
    days = round(hours / 24)
    return _("within about %(n)s days") % {"n": days} if days > 1 else _("within about a day")


@access("client", "therapist", scope="own_partnerships")
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    conversations = (
        queries.with_unread(visible_partnerships(user), user)
        .select_related("client", "therapist")
        .order_by("status", "-started_at")
    )
    return render(request, "conversations/inbox.html", {"conversations": conversations})


def _thread_context(
    request: HttpRequest, partnership: Partnership, form: MessageForm
) -> dict[str, object]:
    user: User = request.user  # type: ignore[assignment]
    # Not "messages": that name is the messages framework's notices, which base.html lists
    # at the top of every page (a chat message there would show as a notice).
    chat_messages = queries.latest_messages(partnership)
    partner_id = (
        partnership.therapist_id if user.pk == partnership.client_id else partnership.client_id
    )
    marks = queries.read_marks(partnership)
    response_time = None
    if user.pk == partnership.client_id:
        response_time = humane_duration(queries.usual_response_time(partnership.therapist_id))
    return {
        "partnership": partnership,
        "chat_messages": chat_messages,
        "form": form,
        "partner_read": marks.get(partner_id, 0),
        "last_seq": chat_messages[-1].pk if chat_messages else 0,
        "response_time": response_time,
        "max_chars": settings.CONVERSATION_MESSAGE_MAX_CHARS,
    }


@access("client", "therapist", scope="own_partnerships")
@require_http_methods(["GET", "POST"])
def thread(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    partnership = partnership_for(user, pk)
    crisis = None
    status = 200
    if request.method == "POST":
        form = MessageForm(request.POST)
        if form.is_valid():
            try:
                posted = services.post_message(
                    partnership=partnership,
                    sender=user,
                    client_id=form.cleaned_data["client_id"],
                    body=form.cleaned_data["body"],
                )
            except services.ConversationError as exc:
                form.add_error(
                    "body" if exc.code in {"empty", "too_long", "ended"} else None, str(exc)
                )
                status = 400
            else:
                if posted.held:
                    messages.info(
                        request,
                        _(
                            "You are sending messages quickly: they are kept and delivered "
                            "together, within a minute."
                        ),
                    )
                if posted.crisis_phrases:
                    # Resources at once, in this response (docs/alerts.md, "Safety").
                    crisis = {"resources": resources_for_user(user), "alerted": posted.alerted}
                elif not request.htmx:  # type: ignore[attr-defined]
                    return redirect("conversations:thread", pk=partnership.pk)
                form = _fresh_form()
        else:
            status = 400
    else:
        form = _fresh_form()
    # One audit row per opening of the conversation, not per message or refresh.
    reading.audit_reading(user, partnership, refresh=audit.is_refresh(request))
    context = _thread_context(request, partnership, form)
    context["crisis"] = crisis
    template = "conversations/thread.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#conversation"
    return render(request, template, context, status=status)


@access("client", "therapist", scope="own_partnerships")
@require_GET
def call_setup(request: HttpRequest, pk: int) -> HttpResponse:
    partnership = partnership_for(request.user, pk)  # type: ignore[arg-type]
    return render(
        request,
        "conversations/call_setup.html",
        {"partnership": partnership, "ice_servers": settings.ICE_SERVERS_JSON},
    )


class JoinForm(forms.Form):
    mode = forms.ChoiceField(
        label=gettext_lazy("Type of call"),
        choices=[("video", gettext_lazy("Video")), ("audio", gettext_lazy("Audio only (phone)"))],
        widget=forms.RadioSelect,
        initial="video",
    )


class LocatedJoinForm(JoinForm):
    location = forms.ModelChoiceField(
        label=gettext_lazy("Where are you right now?"),
        help_text=gettext_lazy(
            "Your therapist may only see you where they are licensed, so please tell us where "
            "you are at this moment, even if you are travelling."
        ),
        queryset=Jurisdiction.objects.order_by("name"),
        to_field_name="code",
        empty_label=None,
    )


@access("client", "therapist", scope="own_partnerships")
@require_http_methods(["GET", "POST"])
def call(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    partnership = partnership_for(user, pk)
    form_class = LocatedJoinForm if user.pk == partnership.client_id else JoinForm
    initial: dict[str, object] = {"mode": request.GET.get("mode", "video")}
    profile = getattr(user, "client_profile", None)
    if form_class is LocatedJoinForm and profile is not None and profile.jurisdiction_id:
        initial["location"] = profile.jurisdiction.code
    form = form_class(request.POST or None, initial=initial)
    context: dict[str, object] = {"partnership": partnership, "form": form, "joining": False}
    status = 200
    if not partnership.is_active:
        # Refused before any join button is offered, not after the click.
        context["ended"] = True
        if request.method == "POST":
            status = 400
    elif request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            location = form.cleaned_data.get("location")
            try:
                if location is not None:
                    services.confirm_location(partnership=partnership, code=location.code)
            except services.CallRefused as exc:
                context.update(refused=str(exc), reschedule_url=exc.reschedule_url)
            else:
                context.update(
                    joining=True,
                    mode=form.cleaned_data["mode"],
                    location=location.code if location is not None else "",
                    ice_servers=settings.ICE_SERVERS_JSON,
                )
    return render(request, "conversations/call.html", context, status=status)
