"""Demo clients and the fixed demo logins.

Client ages follow the adult outpatient population (18–75, most between 25 and 45); every
demo client has consented, confirmed their e-mail and given an emergency contact.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from alliance.accounts import consent
from alliance.accounts.models import ClientProfile, ConsentRecord, User
from alliance.core.demo import DEMO_DOMAIN, DemoContext
from alliance.directory.demo import FIRST, JURISDICTION_WEIGHTS, JURISDICTIONS, LAST

# The RFC 6238 test key: demo only, so that anyone can add it to an authenticator app.
DEMO_TOTP_HEX = "3132333435363738393031323334353637383930"
DEMO_TOTP_BASE32 = base64.b32encode(bytes.fromhex(DEMO_TOTP_HEX)).decode()
DEMO_RECOVERY_CODES = [f"demo{n:04d}" for n in range(1, 21)]


def fixed_logins() -> list[dict[str, str]]:
    twofa = f"(TOTP secret {DEMO_TOTP_BASE32}, or a recovery code demo0001 … demo0020)"
    return [
        {"role": "client", "email": f"client@{DEMO_DOMAIN}", "note": ""},
        {"role": "therapist", "email": f"therapist@{DEMO_DOMAIN}", "note": twofa},
        {"role": "on-call therapist", "email": f"therapist001@{DEMO_DOMAIN}", "note": twofa},
        {"role": "practice admin", "email": f"admin@{DEMO_DOMAIN}", "note": twofa},
    ]


def run(ctx: DemoContext) -> None:
    rng = ctx.rng
    by_code = ctx.shared["jurisdictions"]
    password = ctx.shared["password_hash"]
    count = ctx.count(2000)
    users = []
    for i in range(count):
        email = f"client@{DEMO_DOMAIN}" if i == 0 else f"client{i:04d}@{DEMO_DOMAIN}"
        users.append(
            User(
                email=email,
                password=password,
                role=User.Role.CLIENT,
                display_name=f"{rng.choice(FIRST)} {rng.choice(LAST)[0]}.",
                email_verified_at=ctx.now,
            )
        )
    User.objects.bulk_create(users)
    clients = list(User.objects.filter(role=User.Role.CLIENT).order_by("id"))
    profiles, consents, tz_updates = [], [], []
    text = consent.current("telehealth")
    for i, user in enumerate(clients):
        home = (
            JURISDICTIONS[0]
            if i == 0
            else rng.choices(JURISDICTIONS, weights=JURISDICTION_WEIGHTS)[0]
        )
        age = min(75, max(18, int(rng.gauss(36, 11))))
        born = ctx.now.date() - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        profiles.append(
            ClientProfile(
                user=user,
                date_of_birth=born,
                jurisdiction=by_code[home["code"]],
                emergency_contact_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                emergency_contact_phone=f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                emergency_contact_relationship=rng.choice(
                    ["partner", "parent", "friend", "sibling"]
                ),
            )
        )
        consents.append(
            ConsentRecord(
                user=user,
                kind=text.kind,
                version=text.version,
                text_sha256=text.sha256,
                given_at=_given_since(text.version, ctx.now, rng),
            )
        )
        user.timezone = home["tz"]
        tz_updates.append(user)
        user.home_jurisdiction = home  # type: ignore[attr-defined]
    ClientProfile.objects.bulk_create(profiles)
    ConsentRecord.objects.bulk_create(consents)
    User.objects.bulk_update(tz_updates, ["timezone"], batch_size=500)
    ctx.shared["clients"] = clients

    staff = User.objects.filter(
        email__in=[
            f"therapist@{DEMO_DOMAIN}",
            f"therapist001@{DEMO_DOMAIN}",
            f"admin@{DEMO_DOMAIN}",
        ]
    )
    for user in staff:
        TOTPDevice.objects.create(
            user=user, name="demo authenticator", key=DEMO_TOTP_HEX, confirmed=True
        )
        static = StaticDevice.objects.create(user=user, name="recovery codes")
        StaticToken.objects.bulk_create(
            StaticToken(device=static, token=code) for code in DEMO_RECOVERY_CODES
        )
    ctx.logins.extend(fixed_logins())


def _given_since(version: str, now: dt.datetime, rng: Any) -> dt.datetime:
    """A moment a demo client agreed to the consent text `version` ("YYYY-MM"): not before
    that version existed (earlier clients agreed again when it changed)."""
    start = dt.datetime.strptime(version, "%Y-%m").replace(tzinfo=dt.UTC)
    if start >= now:
        return now
    return start + dt.timedelta(seconds=rng.randint(0, int((now - start).total_seconds())))


# When the demo runs this part (core/demo.py): after the parts whose data it uses.
STEPS = [(20, run)]
