"""A therapist who fails a stated must-have is never shown, least of all first: from the
intake form, through the adapter and the index, to the stored offers and the page."""

from __future__ import annotations

import pytest

from alliance.care.models import MatchOffer
from alliance.directory.models import TherapistProfile
from tests.care.conftest import submit_intake
from tests.conftest import logged_in, make_therapist

pytestmark = pytest.mark.django_db

# (intake answers that state a must-have, the profile that fails it, the one that meets it)
CASES = {
    "approach": (
        {"approach": ["psychodynamic"], "approach_must": "on"},
        {"approaches": ["cbt"]},
        {"approaches": ["psychodynamic"]},
    ),
    "style": (
        {"style": "directive", "style_must": "on"},
        {"style": "exploratory"},
        {"style": "directive"},
    ),
    "gender": (
        {"gender": ["non-binary"], "gender_must": "on"},
        {"gender": "woman"},
        {"gender": "non-binary"},
    ),
    "age": ({"age": "over_55", "age_must": "on"}, {"birth_year": 1995}, {"birth_year": 1960}),
    "faith_informed": (
        {"faith_informed": "on", "faith_informed_must": "on"},
        {"faith_informed": False},
        {"faith_informed": True},
    ),
    "lgbtq_affirming": (
        {"lgbtq_affirming": "on", "lgbtq_affirming_must": "on"},
        {"lgbtq_affirming": False},
        {"lgbtq_affirming": True},
    ),
    "culture": (
        {"culture": ["latin"], "culture_must": "on"},
        {"cultural_backgrounds": ["white"]},
        {"cultural_backgrounds": ["latin"]},
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_therapist_failing_a_must_have_is_never_ranked_first(client_user, jurisdiction, name):
    answers, fails, meets = CASES[name]
    # given a therapist who fits everything else better (the lower id, so first on a tie,
    # with room and every other stated wish) but fails the must-have, and one who meets it
    ana = make_therapist("ana@example.org", jurisdiction, name="Dr Ana")
    ben = make_therapist("ben@example.org", jurisdiction, name="Dr Ben")
    TherapistProfile.objects.filter(user=ana).update(capacity=30, **fails)
    TherapistProfile.objects.filter(user=ben).update(capacity=1, **meets)
    submit_intake(client_user, **answers)
    # when the client opens their matches
    html = logged_in(client_user).get("/care/matches/").content.decode()
    # then the one meeting the must-have comes first, and the other is not shown at all
    offers = list(MatchOffer.objects.filter(client=client_user).order_by("rank"))
    assert offers and offers[0].therapist_id == ben.pk
    assert ana.pk not in {o.therapist_id for o in offers}
    assert "Dr Ben" in html and "Dr Ana" not in html
