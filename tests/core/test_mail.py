"""One mail helper: every e-mail the app sends goes through `alliance.core.mail`, in the
recipient's own language, with absolute links."""

from __future__ import annotations

import pathlib
import re

import pytest
from django.core import mail
from django.utils import translation

from alliance.checkins import safety

ALLIANCE = pathlib.Path(__file__).resolve().parents[2] / "alliance"


def test_no_part_sends_mail_by_hand():
    direct = re.compile(r"\b(send_mail|send_mass_mail|EmailMessage|EmailMultiAlternatives)\b")
    offenders = [
        str(path.relative_to(ALLIANCE))
        for path in ALLIANCE.rglob("*.py")
        if path.name != "mail.py" and direct.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.mark.django_db
def test_a_safety_email_reaches_each_clinician_in_their_own_language(
    client_user,
    partnership,
    their_therapist,
    on_call_therapist,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.SITE_URL = "https://alliance.example.org"
    their_therapist.preferred_language = "es"
    their_therapist.save(update_fields=["preferred_language"])
    on_call_therapist.preferred_language = "en"
    on_call_therapist.save(update_fields=["preferred_language"])
    mail.outbox.clear()
    # The request that raises it is in English; the therapist reads Spanish.
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        alert = safety.raise_safety_alert(
            client=client_user,
            partnership=partnership,
            source="message",
            evidence={"message_id": 1, "phrases": ["want to die"]},
        )
    by_address = {m.to[0]: m for m in mail.outbox}
    spanish, english = by_address[their_therapist.email], by_address[on_call_therapist.email]
    assert spanish.subject == "Una alerta de seguridad necesita tu atención"
    assert "Ábrela aquí (hay que iniciar sesión):" in spanish.body
    assert english.subject == "A safety alert needs your attention"
    link = f"https://alliance.example.org/checkins/alerts/{alert.pk}/"
    assert link in spanish.body and link in english.body
    assert "want to die" not in spanish.body + english.body
