"""Writes for the journal: entries, sharing, notebooks and their assignment."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.care.queries import active_partnership_of_client
from alliance.checkins import services as checkins
from alliance.core.errors import DomainError
from alliance.goals.models import Goal
from alliance.journal import prompts, safety
from alliance.journal.models import (
    MOOD_MAX,
    MOOD_MIN,
    JournalEntry,
    Notebook,
    NotebookAssignment,
    NotebookPrompt,
)

BODY_MAX_CHARS = 20_000
BRING_MAX_CHARS = 2_000
NOTE_MAX_CHARS = 2_000
NOTEBOOK_TITLE_MAX_CHARS = 120
NOTEBOOK_DESCRIPTION_MAX_CHARS = 1_000
PROMPT_MAX_CHARS = 500
MAX_PROMPTS = 31


class JournalError(DomainError):
    """A write refused for a reason the person can act on; the message is shown to them."""


@dataclass(frozen=True)
class EntryResult:
    entry: JournalEntry
    # Crisis phrases found in what was written: the page shows resources at once if any.
    crisis_phrases: list[str] = field(default_factory=list)
    # Whether the therapist and on-call clinician were alerted (shared entries only).
    alerted: bool = False


def _text(value: str | None, *, limit: int, what: str) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise JournalError(
            _("The %(what)s can be at most %(limit)d characters.") % {"what": what, "limit": limit}
        )
    return text


def _resolve_prompt(
    *,
    client: User,
    partnership: Partnership | None,
    prompt_key: str,
    assignment: NotebookAssignment | None,
    notebook_prompt: NotebookPrompt | None,
) -> tuple[str | None, Goal | None]:
    if notebook_prompt is not None:
        if (
            assignment is None
            or assignment.partnership.client_id != client.pk
            or notebook_prompt.notebook_id != assignment.notebook_id
        ):
            raise JournalError(_("That prompt is not from one of your notebooks."))
        return notebook_prompt.text, None
    if not prompt_key:
        return None, None
    goals: list[Goal] = []
    if partnership is not None and prompt_key.startswith("goal-"):
        goals = list(Goal.objects.filter(partnership=partnership, status=Goal.Status.ACTIVE))
    for prompt in prompts.prompts_for(goals):
        if prompt.key == prompt_key:
            goal = next((g for g in goals if g.pk == prompt.goal_id), None)
            return prompt.text, goal
    raise JournalError(_("Please choose one of the prompts offered."))


@transaction.atomic
def write_entry(
    *,
    client: User,
    body: str,
    mood: int | None = None,
    prompt_key: str = "",
    bring_to_session: str = "",
    share: bool = False,
    assignment: NotebookAssignment | None = None,
    notebook_prompt: NotebookPrompt | None = None,
) -> EntryResult:
    """Save an entry (private unless `share`) and check it for crisis language.

    Crisis language always shows the client resources; only a shared entry alerts anyone.
    """
    if not client.is_client:
        raise JournalError(_("Only clients keep a journal."))
    body = _text(body, limit=BODY_MAX_CHARS, what=_("entry"))
    bring = _text(bring_to_session, limit=BRING_MAX_CHARS, what=_("note for the next session"))
    if mood is not None and (isinstance(mood, bool) or not MOOD_MIN <= mood <= MOOD_MAX):
        raise JournalError(_("Mood is from 0 to 10."))
    if not body and not bring and mood is None:
        raise JournalError(_("Please write something, or choose your mood."))
    partnership = active_partnership_of_client(client)
    if share and partnership is None:
        raise JournalError(_("You can share entries once you are working with a therapist."))
    prompt_text, goal = _resolve_prompt(
        client=client,
        partnership=partnership,
        prompt_key=prompt_key,
        assignment=assignment,
        notebook_prompt=notebook_prompt,
    )
    now = timezone.now()
    entry = JournalEntry.objects.create(
        client=client,
        partnership=partnership,
        body=body,
        prompt=prompt_text,
        bring_to_session=bring or None,
        mood=mood,
        goal=goal,
        assignment=assignment,
        notebook_prompt=notebook_prompt,
        shared_at=now if share else None,
        created_at=now,
    )
    found = safety.crisis_phrases(f"{body}\n{bring}")
    alerted = False
    if found and share and partnership is not None:
        # Safety is evaluated in the same request and committed with the entry.
        alerted = safety.raise_alert(
            client=client, partnership=partnership, entry_id=entry.pk, phrases=found
        )
    if partnership is not None and share:
        checkins.request_alert_evaluation(partnership_id=partnership.pk)
    return EntryResult(entry=entry, crisis_phrases=found, alerted=alerted)


def _locked_entry(entry: JournalEntry, by: User) -> JournalEntry:
    locked = (
        JournalEntry.objects.select_for_update(of=("self",))
        .select_related("partnership")
        .filter(pk=entry.pk, client=by)
        .first()
    )
    if locked is None:
        raise JournalError(_("Only the person who wrote an entry can share it."))
    return locked


@transaction.atomic
def share_entry(*, entry: JournalEntry, by: User) -> EntryResult:
    """Share a private entry with the therapist it was written alongside."""
    locked = _locked_entry(entry, by)
    partnership = locked.partnership
    if partnership is None or not partnership.is_active:
        raise JournalError(
            _("This entry was written outside your current work together and cannot be shared.")
        )
    if locked.is_shared:
        raise JournalError(_("This entry is already shared."))
    locked.shared_at = timezone.now()
    locked.save(update_fields=["shared_at"])
    found = safety.crisis_phrases(f"{locked.body}\n{locked.bring_to_session or ''}")
    alerted = False
    if found:
        alerted = safety.raise_alert(
            client=by, partnership=partnership, entry_id=locked.pk, phrases=found
        )
    checkins.request_alert_evaluation(partnership_id=partnership.pk)
    return EntryResult(entry=locked, crisis_phrases=found, alerted=alerted)


@transaction.atomic
def unshare_entry(*, entry: JournalEntry, by: User) -> JournalEntry:
    """Stop sharing an entry. What the therapist already read, and any safety alert it
    raised, stay on record; the entry itself is private again from now on."""
    locked = _locked_entry(entry, by)
    if not locked.is_shared:
        raise JournalError(_("This entry is already private."))
    locked.shared_at = None
    locked.save(update_fields=["shared_at"])
    return locked


# --- notebooks ------------------------------------------------------------------------


def _prompt_lines(prompts_text: list[str]) -> list[str]:
    lines = [p.strip() for p in prompts_text if p.strip()]
    if not lines:
        raise JournalError(_("A notebook needs at least one prompt."))
    if len(lines) > MAX_PROMPTS:
        raise JournalError(_("A notebook can have at most %(n)d prompts.") % {"n": MAX_PROMPTS})
    for line in lines:
        if len(line) > PROMPT_MAX_CHARS:
            raise JournalError(
                _("Each prompt can be at most %(limit)d characters.") % {"limit": PROMPT_MAX_CHARS}
            )
    return lines


@transaction.atomic
def create_notebook(
    *, author: User, title: str, description: str, prompt_texts: list[str]
) -> Notebook:
    if not author.is_therapist:
        raise JournalError(_("Only therapists write notebooks."))
    title = title.strip()
    if not title:
        raise JournalError(_("Please give the notebook a title."))
    if len(title) > NOTEBOOK_TITLE_MAX_CHARS:
        raise JournalError(
            _("The title can be at most %(limit)d characters.")
            % {"limit": NOTEBOOK_TITLE_MAX_CHARS}
        )
    description = _text(description, limit=NOTEBOOK_DESCRIPTION_MAX_CHARS, what=_("description"))
    lines = _prompt_lines(prompt_texts)
    notebook = Notebook.objects.create(title=title, description=description, author=author)
    NotebookPrompt.objects.bulk_create(
        NotebookPrompt(notebook=notebook, position=i, text=text) for i, text in enumerate(lines, 1)
    )
    return notebook


@transaction.atomic
def assign_notebook(
    *, notebook: Notebook, partnership: Partnership, by: User, note: str = ""
) -> NotebookAssignment:
    if by.pk != partnership.therapist_id or not partnership.is_active:
        raise JournalError(_("Only the client's current therapist can give them a notebook."))
    if not notebook.is_builtin and notebook.author_id != by.pk:
        raise JournalError(_("You can give a client the project's notebooks or your own."))
    note = _text(note, limit=NOTE_MAX_CHARS, what=_("note"))
    return NotebookAssignment.objects.create(
        notebook=notebook,
        partnership=partnership,
        assigned_by=by,
        note=note or None,
        assigned_at=timezone.now(),
    )
