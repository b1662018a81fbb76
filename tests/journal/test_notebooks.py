"""Guided notebooks: the project's own, a therapist's own, assigned to a client and answered."""

from __future__ import annotations

import pytest

from alliance.journal import services
from alliance.journal.models import JournalEntry, Notebook, NotebookAssignment
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_project_ships_its_own_notebooks(their_therapist):
    builtin = Notebook.objects.filter(author__isnull=True)
    assert builtin.count() >= 3
    assert all(nb.prompts.count() >= 4 for nb in builtin)
    page = logged_in(their_therapist).get("/journal/notebooks/").content.decode()
    assert "A week of noticing" in page


def test_therapist_writes_assigns_and_client_answers(partnership, client_user, their_therapist):
    therapist = logged_in(their_therapist)
    # given the therapist writes a notebook
    response = therapist.post(
        "/journal/notebooks/",
        {
            "title": "Noticing anger",
            "description": "Three evenings",
            "prompts": "When did it start?\n\nWhat did you do next?\nWhat helped?",
        },
    )
    assert response.status_code == 302
    notebook = Notebook.objects.get(title="Noticing anger")
    assert list(notebook.prompts.values_list("position", "text")) == [
        (1, "When did it start?"),
        (2, "What did you do next?"),
        (3, "What helped?"),
    ]
    # when they give it to their client
    response = therapist.post(
        f"/journal/notebooks/{notebook.pk}/", {"partnership": partnership.pk, "note": "No rush"}
    )
    assert response.status_code == 302
    assignment = NotebookAssignment.objects.get()
    # then the client sees it and answers a prompt
    client = logged_in(client_user)
    assert "Noticing anger" in client.get("/journal/").content.decode()
    page = client.get(f"/journal/assigned/{assignment.pk}/").content.decode()
    assert "No rush" in page and "What helped?" in page
    prompt = notebook.prompts.get(position=3)
    response = client.post(
        f"/journal/assigned/{assignment.pk}/",
        {"notebook_prompt": prompt.pk, "body": "A walk helped", "share": "on"},
    )
    assert response.status_code == 302
    entry = JournalEntry.objects.get()
    assert entry.assignment == assignment and entry.prompt == "What helped?" and entry.is_shared
    shared = therapist.get(f"/journal/assigned/{assignment.pk}/").content.decode()
    assert "A walk helped" in shared


def test_answer_needs_a_prompt_of_that_notebook(partnership, client_user, their_therapist):
    builtin = Notebook.objects.filter(author__isnull=True).order_by("id")
    assignment = services.assign_notebook(
        notebook=builtin[0], partnership=partnership, by=their_therapist
    )
    foreign_prompt = builtin[1].prompts.first()
    client = logged_in(client_user)
    for data in ({"body": "x"}, {"body": "x", "notebook_prompt": foreign_prompt.pk}):
        assert client.post(f"/journal/assigned/{assignment.pk}/", data).status_code == 400
    assert JournalEntry.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"title": "", "prompts": "One"},
        {"title": "T", "prompts": "  \n "},
        {"title": "T", "prompts": "x" * 501},
        {"title": "T", "prompts": "\n".join(["p"] * 32)},
        {"title": "x" * 121, "prompts": "One"},
    ],
)
def test_bad_notebooks_are_refused(their_therapist, data):
    before = Notebook.objects.count()
    assert logged_in(their_therapist).post("/journal/notebooks/", data).status_code == 400
    assert Notebook.objects.count() == before


def test_other_therapists_cannot_use_or_assign(
    partnership, their_therapist, other_therapist, client_user, admin_user
):
    mine = services.create_notebook(
        author=their_therapist, title="Mine", description="", prompt_texts=["One"]
    )
    assignment = services.assign_notebook(
        notebook=mine, partnership=partnership, by=their_therapist
    )
    other = logged_in(other_therapist)
    assert other.get(f"/journal/notebooks/{mine.pk}/").status_code == 404
    assert other.get(f"/journal/assigned/{assignment.pk}/").status_code == 404
    # a therapist cannot assign to someone else's client
    with pytest.raises(services.JournalError):
        services.assign_notebook(notebook=mine, partnership=partnership, by=other_therapist)
    # nor pick a client outside their caseload through the form
    builtin = Notebook.objects.filter(author__isnull=True).first()
    response = other.post(f"/journal/notebooks/{builtin.pk}/", {"partnership": partnership.pk})
    assert response.status_code == 400
    assert NotebookAssignment.objects.count() == 1
    assert logged_in(client_user).get("/journal/notebooks/").status_code == 403
    assert logged_in(admin_user).get("/journal/notebooks/").status_code == 403
