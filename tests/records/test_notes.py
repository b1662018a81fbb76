"""Progress notes: formats as data (only the chosen one's fields), sign and lock, addenda by
the author only, co-signature by the supervisor only, the late list, bad input, the export
and the demo."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.utils import timezone

from alliance.schedule import note_admin, note_queries, services
from alliance.schedule.errors import NoteLocked, ScheduleError
from alliance.schedule.models import NoteAddendum, NoteSupervision, ProgressNote
from alliance.schedule.note_templates import SHIPPED_BY_KEY
from tests.conftest import logged_in, make_appointment, make_client, make_therapist

pytestmark = pytest.mark.django_db


@pytest.fixture
def attended(partnership):
    """An attended appointment of the partnership that ended an hour ago."""
    start = timezone.now() - dt.timedelta(hours=1, minutes=50)
    return make_appointment(partnership, start, status="attended")


def _url(appointment, tail: str = "") -> str:
    return f"/schedule/appointments/{appointment.pk}/note/{tail}"


def _dap(appointment, author, **overrides):
    values = {"data": "Slept badly", "assessment": "Low mood", "plan": "Diary"} | overrides
    return services.save_progress_note(
        appointment=appointment, author=author, template="dap", **values
    )


def _stored(note) -> tuple:
    """The note's row as the database holds it (ciphertext included)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT template, sections, text, signed_at FROM schedule_progressnote WHERE id = %s",
            [note.pk],
        )
        return cursor.fetchone()


# --- formats -------------------------------------------------------------------------


def test_each_shipped_format_has_its_own_fields():
    fields = {key: fmt.field_keys for key, fmt in SHIPPED_BY_KEY.items()}
    assert fields == {
        "free": ("text",),
        "soap": ("subjective", "objective", "assessment", "plan"),
        "dap": ("data", "assessment", "plan"),
        "birp": ("behaviour", "intervention", "response", "plan"),
        "girp": ("goals", "intervention", "response", "plan"),
    }
    for fmt in SHIPPED_BY_KEY.values():
        assert fmt.name and all(f.label and f.prompt for f in fmt.fields)


def test_the_editor_shows_only_the_chosen_formats_fields(attended, their_therapist):
    therapist = logged_in(their_therapist)
    free = therapist.get(_url(attended)).content.decode()
    assert 'name="text"' in free and 'name="data"' not in free and 'name="subjective"' not in free
    dap = therapist.get(_url(attended) + "?template=dap").content.decode()
    for key in ("data", "assessment", "plan"):
        assert f'name="{key}"' in dap
    for key in ("text", "subjective", "objective", "behaviour", "goals"):
        assert f'name="{key}"' not in dap
    assert "Use this format" in dap and '<option value="dap" selected>' in dap
    assert "<script" not in dap.split("<main", 1)[-1]  # no inline script: the CSP forbids it


def test_a_dap_note_is_saved_through_the_page_and_read_with_its_labels(attended, their_therapist):
    therapist = logged_in(their_therapist)
    response = therapist.post(
        _url(attended),
        {"template": "dap", "data": "Two arguments at work", "assessment": "Anger", "plan": "Log"},
    )
    assert response.status_code == 302 and response["Location"] == _url(attended)
    note = ProgressNote.objects.get(appointment=attended)
    assert note.template == "dap"
    assert note.section_values() == {
        "data": "Two arguments at work",
        "assessment": "Anger",
        "plan": "Log",
    }
    _template, stored, _text, _signed = _stored(note)
    assert stored.startswith("ck1:") and "arguments" not in stored
    page = therapist.get(f"/schedule/appointments/{attended.pk}/").content.decode()
    assert "<h3>Data</h3>" in page and "Two arguments at work" in page


def test_a_note_written_before_formats_reads_as_free_or_soap(partnership, attended):
    soap = ProgressNote.objects.create(
        appointment=attended,
        partnership=partnership,
        author=partnership.therapist,
        template="soap",
        subjective="Sleeping better",
        plan="Keep the diary",
    )
    soap.refresh_from_db()
    assert soap.sections is None
    shown = [(s.label, s.text) for s in note_queries.shown_sections(soap)]
    assert shown == [("Subjective", "Sleeping better"), ("Plan", "Keep the diary")]
    other = make_appointment(
        partnership, attended.starts_at - dt.timedelta(days=7), status="attended"
    )
    free = ProgressNote.objects.create(
        appointment=other, partnership=partnership, author=partnership.therapist, text="Grief"
    )
    assert [(s.label, s.text) for s in note_queries.shown_sections(free)] == [("", "Grief")]


def test_a_practice_format_is_made_by_the_admin_and_used_by_a_therapist(
    admin_user, their_therapist, attended
):
    admin = logged_in(admin_user)
    assert logged_in(their_therapist).get("/schedule/note-templates/").status_code == 403
    response = admin.post(
        "/schedule/note-templates/",
        {"action": "add_template", "name": "Couples", "labels": "Each view\n\nAgreements\n"},
    )
    assert response.status_code == 302
    fmt = note_queries.available_formats()[-1]
    assert fmt.name == "Couples" and [f.label for f in fmt.fields] == ["Each view", "Agreements"]
    therapist = logged_in(their_therapist)
    page = therapist.get(_url(attended) + f"?template={fmt.key}").content.decode()
    assert 'name="f1"' in page and 'name="f2"' in page and 'name="text"' not in page
    assert "Each view" in page
    therapist.post(_url(attended), {"template": fmt.key, "f1": "Both tired", "f2": "Date night"})
    note = ProgressNote.objects.get(appointment=attended)
    shown = [(s.label, s.text) for s in note_queries.shown_sections(note)]
    assert shown == [("Each view", "Both tired"), ("Agreements", "Date night")]
    # retired: off the chooser, its notes still read
    admin.post(
        "/schedule/note-templates/", {"action": "retire_template", "id": fmt.key.split("-")[1]}
    )
    assert fmt.key not in [f.key for f in note_queries.available_formats()]
    assert [s.label for s in note_queries.shown_sections(note)] == ["Each view", "Agreements"]


def test_a_practice_format_needs_a_name_and_distinct_sections(admin_user):
    admin = logged_in(admin_user)
    response = admin.post(
        "/schedule/note-templates/",
        {"action": "add_template", "name": "Twice", "labels": "Goals\ngoals"},
    )
    assert response.status_code == 400
    assert "Each section needs a name of its own." in response.content.decode()
    with pytest.raises(ScheduleError):
        note_admin.create_note_template(name=" ", labels=["A"], by=admin_user)
    from alliance.schedule.models import NoteTemplate

    assert not NoteTemplate.objects.exists()


# --- sign and lock -------------------------------------------------------------------


def test_a_signed_note_cannot_change_through_the_service_or_the_model(attended, their_therapist):
    note = _dap(attended, their_therapist)
    services.sign_progress_note(note=note, by=their_therapist)
    before = _stored(note)
    with pytest.raises(ScheduleError, match="signed and locked"):
        _dap(attended, their_therapist, data="Rewritten")
    note.refresh_from_db()
    note.sections = json.dumps({"data": "Rewritten"})
    with pytest.raises(NoteLocked):
        note.save()
    with pytest.raises(NoteLocked):
        note.save(update_fields=["sections"])
    with pytest.raises(NoteLocked):
        note.delete()
    assert _stored(note) == before
    # sharing stays possible
    services.share_progress_note(note=note, by=their_therapist, shared=True)
    assert _stored(note) == before
    with pytest.raises(ScheduleError, match="already signed"):
        services.sign_progress_note(note=note, by=their_therapist)


def test_a_signed_note_cannot_change_through_the_page(attended, their_therapist):
    therapist = logged_in(their_therapist)
    therapist.post(_url(attended), {"template": "dap", "data": "Original", "plan": "Walk"})
    assert therapist.post(_url(attended, "sign/")).status_code == 302
    note = ProgressNote.objects.get(appointment=attended)
    assert note.signed_at is not None and note.signed_by_id == their_therapist.pk
    before = _stored(note)
    page = therapist.get(_url(attended)).content.decode()
    assert "Signed and locked" in page and "Original" in page
    assert "<textarea" not in page.replace('name="text"', "").split("Add an addendum")[0]
    assert 'name="data"' not in page and "Save note" not in page
    response = therapist.post(_url(attended), {"template": "dap", "data": "Changed"})
    assert response.status_code == 400
    assert "signed and locked; add an addendum instead" in response.content.decode()
    assert _stored(note) == before


def test_only_the_author_signs(attended, their_therapist, other_therapist):
    note = _dap(attended, their_therapist)
    with pytest.raises(ScheduleError, match="Only the note's author can sign it"):
        services.sign_progress_note(note=note, by=other_therapist)
    assert logged_in(other_therapist).post(_url(attended, "sign/")).status_code == 404
    note.refresh_from_db()
    assert note.signed_at is None


# --- addenda -------------------------------------------------------------------------


def test_the_author_adds_an_addendum_shown_under_the_original(
    attended, their_therapist, client_user
):
    note = _dap(attended, their_therapist, data="Original data")
    therapist = logged_in(their_therapist)
    refused = therapist.post(_url(attended, "addenda/"), {"text": "Too early"})
    assert refused.status_code == 400 and "Until the note is signed" in refused.content.decode()
    services.sign_progress_note(note=note, by=their_therapist)
    assert (
        therapist.post(_url(attended, "addenda/"), {"text": "Phoned next day"}).status_code == 302
    )
    empty = therapist.post(_url(attended, "addenda/"), {"text": "  "})
    assert empty.status_code == 400 and "An addendum cannot be empty." in empty.content.decode()
    addendum = NoteAddendum.objects.get()
    assert addendum.author_id == their_therapist.pk and addendum.text == "Phoned next day"
    page = therapist.get(_url(attended)).content.decode()
    assert page.index("Original data") < page.index("Phoned next day")
    assert "Added by Dr Tess" in page
    with pytest.raises(NoteLocked):
        addendum.save()
    # shared: the client sees the note and its addenda
    client_page = logged_in(client_user).get(f"/schedule/appointments/{attended.pk}/")
    assert "Phoned next day" not in client_page.content.decode()
    therapist.post(_url(attended, "share/"), {"shared": "1"})
    client_page = logged_in(client_user).get(f"/schedule/appointments/{attended.pk}/").content
    assert "Original data" in client_page.decode() and "Phoned next day" in client_page.decode()


def test_an_addendum_to_another_therapists_note_is_refused(
    attended, their_therapist, other_therapist
):
    note = services.sign_progress_note(note=_dap(attended, their_therapist), by=their_therapist)
    response = logged_in(other_therapist).post(_url(attended, "addenda/"), {"text": "Mine now"})
    assert response.status_code == 404
    assert logged_in(other_therapist).get(_url(attended)).status_code == 404
    with pytest.raises(ScheduleError, match="Only the note's author can add to it"):
        services.add_note_addendum(note=note, author=other_therapist, text="Mine now")
    assert not NoteAddendum.objects.exists()


# --- co-signature --------------------------------------------------------------------


@pytest.fixture
def supervisor(jurisdiction):
    return make_therapist("sam.supervisor@example.org", jurisdiction, name="Dr Sam")


def test_a_pre_licensed_clinicians_note_awaits_the_supervisors_cosignature(
    admin_user, attended, their_therapist, supervisor, other_therapist
):
    from alliance.privacy.models import AuditEvent

    admin = logged_in(admin_user)
    response = admin.post(
        "/schedule/note-templates/",
        {"action": "set_supervision", "clinician": their_therapist.pk, "supervisor": supervisor.pk},
    )
    assert response.status_code == 302
    note = services.sign_progress_note(note=_dap(attended, their_therapist), by=their_therapist)
    assert note.awaiting_cosignature and note.cosigner_id == supervisor.pk
    page = logged_in(their_therapist).get(_url(attended)).content.decode()
    assert "Awaiting co-signature by Dr Sam" in page
    # the supervisor sees it, reads it (audited) and co-signs
    sam = logged_in(supervisor)
    assert "1 note awaits your co-signature" in sam.get("/schedule/").content.decode()
    assert (
        f"/schedule/notes/{note.pk}/cosign/" in sam.get("/schedule/notes/cosign/").content.decode()
    )
    reading = sam.get(f"/schedule/notes/{note.pk}/cosign/")
    assert reading.status_code == 200 and "Slept badly" in reading.content.decode()
    assert AuditEvent.objects.filter(
        actor_id=supervisor.pk, object_type="schedule.progressnote", reason="co-signature"
    ).exists()
    # nobody else: not another therapist, not the clinician themselves
    assert logged_in(other_therapist).get(f"/schedule/notes/{note.pk}/cosign/").status_code == 404
    assert logged_in(other_therapist).post(f"/schedule/notes/{note.pk}/cosign/").status_code == 404
    with pytest.raises(ScheduleError, match="Only the clinician's supervisor"):
        services.cosign_progress_note(note=note, by=other_therapist)
    with pytest.raises(ScheduleError, match="You cannot co-sign your own note"):
        services.cosign_progress_note(note=note, by=their_therapist)
    note.refresh_from_db()
    assert note.cosigned_at is None
    assert sam.post(f"/schedule/notes/{note.pk}/cosign/").status_code == 302
    note.refresh_from_db()
    assert note.cosigned_by_id == supervisor.pk and not note.awaiting_cosignature
    with pytest.raises(ScheduleError, match="already co-signed"):
        services.cosign_progress_note(note=note, by=supervisor)


def test_a_licensed_clinicians_note_needs_no_cosignature(attended, their_therapist, supervisor):
    note = services.sign_progress_note(note=_dap(attended, their_therapist), by=their_therapist)
    assert note.cosigner_id is None and not note.awaiting_cosignature
    with pytest.raises(ScheduleError, match="does not await a co-signature"):
        services.cosign_progress_note(note=note, by=supervisor)


def test_supervision_is_set_by_an_admin_only_and_never_to_oneself(
    admin_user, their_therapist, supervisor
):
    refused = logged_in(admin_user).post(
        "/schedule/note-templates/",
        {"action": "set_supervision", "clinician": supervisor.pk, "supervisor": supervisor.pk},
    )
    assert refused.status_code == 400
    assert "A clinician cannot supervise themselves." in refused.content.decode()
    with pytest.raises(ScheduleError):
        note_admin.set_supervision(clinician=their_therapist, supervisor=supervisor, by=supervisor)
    assert not NoteSupervision.objects.exists()


# --- the late list -------------------------------------------------------------------


def test_notes_unsigned_past_72_hours_are_listed_and_counted(
    partnership, their_therapist, settings
):
    assert settings.NOTES_SIGN_WITHIN_HOURS == 72
    now = timezone.now()

    def ended(hours_ago: float, status: str = "attended"):
        start = now - dt.timedelta(hours=hours_ago, minutes=50)
        return make_appointment(partnership, start, status=status)

    late_draft = ended(80)
    _dap(late_draft, their_therapist)
    late_signed = ended(100)
    services.sign_progress_note(note=_dap(late_signed, their_therapist), by=their_therapist)
    recent_draft = ended(60)
    _dap(recent_draft, their_therapist)
    late_without_note = ended(90)
    ended(120, status="no_show")  # missed, no note: nothing to sign
    listed = list(note_queries.late_to_sign(their_therapist))
    assert listed == [late_without_note, late_draft]
    therapist = logged_in(their_therapist)
    page = therapist.get("/schedule/notes/unsigned/").content.decode()
    assert _url(late_draft) in page and _url(late_without_note) in page
    assert _url(late_signed) not in page and _url(recent_draft) not in page
    assert "No note yet" in page and "Draft, not signed" in page
    assert "2 notes late to sign" in therapist.get("/schedule/").content.decode()
    settings.NOTES_SIGN_WITHIN_HOURS = 48
    assert recent_draft in list(note_queries.late_to_sign(their_therapist))


# --- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"template": "dap", "data": " ", "plan": ""}, "A note cannot be empty."),
        ({"template": "dap", "data": "x" * 20_001}, "A note can be at most 20000 characters."),
        ({"template": "nope", "text": "Hello"}, "Choose a note format."),
        ({"text": "Hello"}, "Choose a note format."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    attended, their_therapist, data, message
):
    note = _dap(attended, their_therapist, data="Kept")
    before = _stored(note)
    response = logged_in(their_therapist).post(_url(attended), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert _stored(note) == before
    unknown = logged_in(their_therapist).get(_url(attended) + "?template=nope")
    assert unknown.status_code == 400 and "Choose a note format." in unknown.content.decode()


def test_bad_input_at_the_service(attended, their_therapist):
    for template, sections in [
        ("dap", {}),
        ("dap", {"subjective": "not a DAP field"}),
        ("unknown", {"text": "x"}),
        ("free", {"text": "y" * 20_001}),
    ]:
        with pytest.raises(ScheduleError):
            services.save_progress_note(
                appointment=attended, author=their_therapist, template=template, **sections
            )
    assert not ProgressNote.objects.exists()


def test_an_oversized_addendum_is_refused(attended, their_therapist):
    note = services.sign_progress_note(note=_dap(attended, their_therapist), by=their_therapist)
    response = logged_in(their_therapist).post(_url(attended, "addenda/"), {"text": "z" * 10_001})
    assert response.status_code == 400
    assert "An addendum can be at most 10000 characters." in response.content.decode()
    assert not note.addenda.exists()


# --- export and demo -----------------------------------------------------------------


def test_the_export_has_the_shared_notes_sections_and_addenda(attended, partnership, client_user):
    from alliance.schedule.privacy import export_client

    therapist = partnership.therapist
    note = services.sign_progress_note(note=_dap(attended, therapist), by=therapist)
    services.add_note_addendum(note=note, author=therapist, text="Later thought")
    assert export_client(client_user)["shared_session_notes"] == []
    services.share_progress_note(note=note, by=therapist, shared=True)
    (exported,) = export_client(client_user)["shared_session_notes"]
    assert exported["template"] == "dap"
    assert exported["sections"] == [
        {"label": "Data", "text": "Slept badly"},
        {"label": "Assessment", "text": "Low mood"},
        {"label": "Plan", "text": "Diary"},
    ]
    assert exported["signed_at"] and [a["text"] for a in exported["addenda"]] == ["Later thought"]
    # another client's notes never appear
    stranger = make_client("stranger@example.org", partnership.client.client_profile.jurisdiction)
    assert export_client(stranger)["shared_session_notes"] == []


def test_the_demo_has_signed_dap_notes_and_an_addendum():
    from django.db import transaction

    from alliance.core import demo

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        demo.seed(seed=7, scale=0.05)
        signed_dap = ProgressNote.objects.filter(template="dap", signed_at__isnull=False)
        assert signed_dap.exists()
        note = signed_dap.first()
        assert set(note.section_values()) == {"data", "assessment", "plan"}
        assert NoteAddendum.objects.filter(note__template="dap").count() == 1
        with pytest.raises(NoteLocked):
            note.save()
        raise Rollback
