from __future__ import annotations

import pytest

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.core import demo
from alliance.directory.models import Licence

pytestmark = pytest.mark.django_db


def test_seed_demo_is_deterministic_and_sane():
    ctx = demo.seed(seed=7, scale=0.05)
    therapists = User.objects.filter(role="therapist").count()
    clients = User.objects.filter(role="client").count()
    assert therapists == 15 and clients == 100
    assert {login["role"] for login in ctx.logins} >= {"client", "therapist", "practice admin"}
    first = list(
        Partnership.objects.order_by("id").values_list(
            "client__email", "therapist__email", "status"
        )
    )
    # Every active partnership's therapist holds capacity for it.
    for p in Partnership.objects.filter(status="active").select_related(
        "therapist__therapist_profile"
    ):
        assert (
            Partnership.objects.filter(therapist=p.therapist, status="active").count()
            <= p.therapist.therapist_profile.capacity
        )
    assert Licence.objects.valid().exists()
    # Same seed, same data.
    Partnership.objects.all().delete()
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from alliance.accounts.models import ClientProfile, ConsentRecord
    from alliance.directory.models import AvailabilityWindow, Jurisdiction, TherapistProfile

    for model in (
        StaticDevice,
        TOTPDevice,
        ConsentRecord,
        ClientProfile,
        AvailabilityWindow,
        Licence,
        TherapistProfile,
    ):
        model.objects.all().delete()
    User.objects.all().delete()
    Jurisdiction.objects.all().delete()
    demo.seed(seed=7, scale=0.05)
    second = list(
        Partnership.objects.order_by("id").values_list(
            "client__email", "therapist__email", "status"
        )
    )
    assert first == second
