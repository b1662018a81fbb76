"""Demo therapists: jurisdictions, licences, specialties, availability, capacity.

Distributions, with their sources:
- About 7 in 10 practising psychologists in the US are women (APA Center for Workforce
  Studies, 2020); the demo uses 70% women, 27% men, 3% non-binary.
- Caseloads: capacity drawn between 12 and 30 active clients, a typical range for
  outpatient therapists seeing clients weekly.
- Specialties use the 12 problem domains of the matching engine, modelled on the domains on
  which Constantino et al. 2021 (JAMA Psychiatry 78:960) profiled therapists.
Crisis lines are real public numbers per jurisdiction; a practice must confirm them locally.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from alliance.accounts.models import User
from alliance.core.demo import DEMO_DOMAIN, DemoContext
from alliance.directory.demo_statements import statement_for
from alliance.directory.models import AvailabilityWindow, Jurisdiction, Licence, TherapistProfile

US_988 = {
    "name": "988 Suicide & Crisis Lifeline",
    "contact": "Call or text 988",
    "note": "24/7, free, confidential",
}
JURISDICTIONS: list[dict[str, Any]] = [
    {
        "code": "US-CA",
        "name": "California",
        "country": "US",
        "tz": "America/Los_Angeles",
        "langs": ["en", "es", "zh"],
        "crisis": [US_988],
    },
    {
        "code": "US-NY",
        "name": "New York",
        "country": "US",
        "tz": "America/New_York",
        "langs": ["en", "es", "zh"],
        "crisis": [US_988],
    },
    {
        "code": "US-TX",
        "name": "Texas",
        "country": "US",
        "tz": "America/Chicago",
        "langs": ["en", "es"],
        "crisis": [US_988],
    },
    {
        "code": "US-FL",
        "name": "Florida",
        "country": "US",
        "tz": "America/New_York",
        "langs": ["en", "es", "pt"],
        "crisis": [US_988],
    },
    {
        "code": "US-IL",
        "name": "Illinois",
        "country": "US",
        "tz": "America/Chicago",
        "langs": ["en", "es"],
        "crisis": [US_988],
    },
    {
        "code": "CA-ON",
        "name": "Ontario",
        "country": "CA",
        "tz": "America/Toronto",
        "langs": ["en", "fr", "zh"],
        "crisis": [
            {"name": "9-8-8 Suicide Crisis Helpline", "contact": "Call or text 988", "note": "24/7"}
        ],
    },
    {
        "code": "GB-ENG",
        "name": "England",
        "country": "GB",
        "tz": "Europe/London",
        "langs": ["en"],
        "crisis": [{"name": "Samaritans", "contact": "116 123", "note": "24/7, free"}],
    },
    {
        "code": "IE",
        "name": "Ireland",
        "country": "IE",
        "tz": "Europe/Dublin",
        "langs": ["en"],
        "crisis": [{"name": "Samaritans Ireland", "contact": "116 123", "note": "24/7, free"}],
    },
    {
        "code": "ES",
        "name": "España",
        "country": "ES",
        "tz": "Europe/Madrid",
        "langs": ["es", "en"],
        "crisis": [
            {"name": "Línea 024", "contact": "024", "note": "Atención a la conducta suicida, 24 h"}
        ],
    },
    {
        "code": "MX-CMX",
        "name": "Ciudad de México",
        "country": "MX",
        "tz": "America/Mexico_City",
        "langs": ["es"],
        "crisis": [{"name": "Línea de la Vida", "contact": "800 911 2000", "note": "24 h"}],
    },
    {
        "code": "DE",
        "name": "Deutschland",
        "country": "DE",
        "tz": "Europe/Berlin",
        "langs": ["de", "en"],
        "crisis": [
            {"name": "TelefonSeelsorge", "contact": "0800 111 0 111", "note": "24 h, kostenfrei"}
        ],
    },
    {
        "code": "FR",
        "name": "France",
        "country": "FR",
        "tz": "Europe/Paris",
        "langs": ["fr", "en"],
        "crisis": [
            {
                "name": "3114",
                "contact": "3114",
                "note": "Numéro national de prévention du suicide, 24h/24",
            }
        ],
    },
    {
        "code": "BR-SP",
        "name": "São Paulo",
        "country": "BR",
        "tz": "America/Sao_Paulo",
        "langs": ["pt"],
        "crisis": [{"name": "CVV", "contact": "188", "note": "24h"}],
    },
]
# Share of therapists per jurisdiction (a national US platform with an international arm).
JURISDICTION_WEIGHTS = [18, 14, 12, 10, 8, 6, 8, 3, 6, 4, 4, 4, 3]

DOMAINS = [
    "depression",
    "anxiety",
    "trauma",
    "relationships",
    "grief",
    "substance_use",
    "eating",
    "sleep",
    "work_stress",
    "identity",
    "anger",
    "serious_mental_illness",
]
# Anxiety and depression are the most common presenting problems in outpatient care.
DOMAIN_WEIGHTS = [22, 24, 12, 12, 5, 4, 3, 4, 8, 3, 2, 1]
APPROACHES = [
    "cbt",
    "act",
    "psychodynamic",
    "person_centred",
    "emdr",
    "dbt",
    "systemic",
    "compassion_focused",
]
LICENCE_TYPES = {
    "US": ["LPC", "LCSW", "LMFT", "Psychologist"],
    "CA": ["Registered Psychotherapist"],
    "GB": ["HCPC Practitioner Psychologist"],
    "IE": ["CORU Psychologist"],
    "ES": ["Psicólogo General Sanitario"],
    "MX": ["Cédula profesional de Psicología"],
    "DE": ["Psychologischer Psychotherapeut"],
    "FR": ["Psychologue"],
    "BR": ["CRP Psicólogo"],
}
# First names by the gender a therapist's profile states, so a match never shows a name
# that contradicts it; the neutral ones serve non-binary therapists (and anyone).
WOMEN = [
    "Maria", "Ana", "Priya", "Sofia", "Grace", "Hannah", "Yuki", "Fatima",
    "Lea", "Aisha", "Ines", "Julia", "Elena", "Camille", "Mei", "Olivia",
]  # fmt: skip
MEN = ["Lukas", "Omar", "Diego", "Noah", "Marco", "Tomas", "Kwame", "Ravi", "Pedro", "Jonas"]
NEUTRAL = ["Alex", "Sam", "Jordan", "Chen"]
FIRST = NEUTRAL + WOMEN + MEN
NAMES_FOR = {"woman": WOMEN + NEUTRAL, "man": MEN + NEUTRAL, "non-binary": NEUTRAL}
LAST = [
    "Rivera",
    "Nguyen",
    "Schmidt",
    "Okafor",
    "García",
    "Kowalski",
    "Martin",
    "Silva",
    "Khan",
    "Brown",
    "Rossi",
    "Dubois",
    "Müller",
    "Santos",
    "Kim",
    "Hernández",
    "Murphy",
    "Ali",
    "Costa",
    "Lee",
    "Fischer",
    "López",
    "Walsh",
    "Ibrahim",
    "Moreau",
    "Pereira",
    "Chen",
    "Taylor",
    "Novak",
    "Fernández",
]
INSURERS = ["Aetna", "Blue Shield", "Cigna", "UnitedHealthcare", "Kaiser"]


def run(ctx: DemoContext) -> None:
    by_code = _jurisdictions(ctx)
    admin = ctx.shared.setdefault("admin", _admin(ctx))
    users, specs = _therapist_users(ctx)
    profiles: list[TherapistProfile] = []
    licences: list[Licence] = []
    windows: list[tuple[int, int, int, int]] = []
    for user, (home, gender) in zip(users, specs, strict=True):
        profiles.append(_profile(ctx, user, home, gender))
        licences += _licences(ctx, user, home, by_code, admin)
        windows += _windows(ctx, user)
    TherapistProfile.objects.bulk_create(profiles)
    Licence.objects.bulk_create(licences)
    profile_ids = dict(TherapistProfile.objects.values_list("user_id", "id"))
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(
            therapist_id=profile_ids[uid], weekday=wd, start=dt.time(s), end=dt.time(e)
        )
        for uid, wd, s, e in windows
    )
    # Fixed demo therapist: one clearly unverified licence to show the admin's workflow.
    if len(users) > 2:
        Licence.objects.create(
            therapist=users[2],
            jurisdiction=by_code["US-TX"],
            licence_type="LPC",
            number="TX-PENDING-1",
            issuing_board="Texas licensing board",
            expires_on=ctx.now.date() + dt.timedelta(days=400),
        )
    ctx.shared["therapists"] = users


def _jurisdictions(ctx: DemoContext) -> dict[str, Jurisdiction]:
    """Every demo jurisdiction, stored and shared by code."""
    jurisdictions = [
        Jurisdiction(
            code=j["code"],
            name=j["name"],
            country=j["country"],
            default_timezone=j["tz"],
            crisis_resources=j["crisis"],
        )
        for j in JURISDICTIONS
    ]
    Jurisdiction.objects.bulk_create(jurisdictions)
    by_code = {j.code: j for j in Jurisdiction.objects.all()}
    ctx.shared["jurisdictions"] = by_code
    return by_code


def _therapist_users(
    ctx: DemoContext,
) -> tuple[list[User], list[tuple[dict[str, Any], str]]]:
    """The therapists' accounts, stored, with each one's home jurisdiction and gender."""
    rng = ctx.rng
    password = ctx.shared["password_hash"]
    count = ctx.count(300)
    users = []
    specs = []
    for i in range(count):
        home = rng.choices(JURISDICTIONS, weights=JURISDICTION_WEIGHTS)[0]
        gender = rng.choices(["woman", "man", "non-binary"], weights=[70, 27, 3])[0]
        name = f"{rng.choice(NAMES_FOR[gender])} {rng.choice(LAST)}"
        email = "therapist@" + DEMO_DOMAIN if i == 0 else f"therapist{i:03d}@{DEMO_DOMAIN}"
        users.append(
            User(
                email=email,
                password=password,
                display_name=name,
                role=User.Role.THERAPIST,
                email_verified_at=ctx.now,
                timezone=home["tz"],
                is_on_call=(i % 25 == 1),
            )
        )
        specs.append((home, gender))
    User.objects.bulk_create(users)
    users = list(User.objects.filter(role=User.Role.THERAPIST).order_by("id"))
    return users, specs


def _profile(ctx: DemoContext, user: User, home: dict[str, Any], gender: str) -> TherapistProfile:
    """One therapist's directory profile: languages, ways of working, capacity, fees."""
    rng = ctx.rng
    langs = [home["langs"][0]]
    for extra in home["langs"][1:]:
        if rng.random() < 0.25:
            langs.append(extra)
    if "en" not in langs and rng.random() < 0.4:
        langs.append("en")
    specialties = sorted(set(rng.choices(DOMAINS, weights=DOMAIN_WEIGHTS, k=rng.randint(2, 5))))
    profile = TherapistProfile(
        user=user,
        gender=gender,
        birth_year=rng.randint(1958, 1996),
        languages=langs,
        modalities=sorted(
            rng.sample(["video", "audio", "chat", "messaging"], rng.randint(2, 4))
            + (["video"] if rng.random() < 0.9 else [])
        ),
        approaches=sorted(set(rng.choices(APPROACHES, k=rng.randint(1, 3)))),
        specialties=specialties,
        style=rng.choice(["directive", "exploratory"]),
        faith_informed=rng.random() < 0.12,
        lgbtq_affirming=rng.random() < 0.55,
        timezone=home["tz"],
        capacity=rng.randint(12, 30),
        fee=rng.choice([60, 80, 100, 120, 150]),
        insurers=sorted(rng.sample(INSURERS, rng.randint(0, 3))) if home["country"] == "US" else [],
        bio=f"I work with adults on {', '.join(s.replace('_', ' ') for s in specialties)}.",
    )
    profile.statement = statement_for(profile.approaches, profile.style, specialties)
    return profile


def _licences(
    ctx: DemoContext,
    user: User,
    home: dict[str, Any],
    by_code: dict[str, Jurisdiction],
    admin: User,
) -> list[Licence]:
    """A verified licence at home and, for some, one more in the same country."""
    rng = ctx.rng
    held = [home] + (
        [j for j in JURISDICTIONS if j["country"] == home["country"] and j is not home][:1]
        if rng.random() < 0.3
        else []
    )
    licences = []
    for j in held:
        expires = ctx.now.date() + dt.timedelta(days=rng.randint(20, 900))
        licences.append(
            Licence(
                therapist=user,
                jurisdiction=by_code[j["code"]],
                licence_type=rng.choice(LICENCE_TYPES[j["country"]]),
                number=f"{j['code']}-{user.pk:05d}",
                issuing_board=f"{j['name']} licensing board",
                expires_on=expires,
                verified_by=admin,
                verified_at=ctx.now - dt.timedelta(days=rng.randint(1, 300)),
            )
        )
    return licences


def _windows(ctx: DemoContext, user: User) -> list[tuple[int, int, int, int]]:
    """Weekly availability as (user id, weekday, start hour, end hour): three to five
    weekdays, and a Saturday morning for some."""
    rng = ctx.rng
    windows = []
    for weekday in sorted(rng.sample(range(5), rng.randint(3, 5))):
        start = rng.choice([8, 9, 10, 12, 13])
        windows.append((user.pk, weekday, start, min(start + rng.choice([4, 6, 8]), 21)))
    if rng.random() < 0.3:
        windows.append((user.pk, 5, 10, 14))
    return windows


def _admin(ctx: DemoContext) -> User:
    from django.contrib.auth.hashers import make_password

    from alliance.core.demo import DEMO_PASSWORD

    ctx.shared["password_hash"] = make_password(DEMO_PASSWORD)
    return User.objects.create(
        email="admin@" + DEMO_DOMAIN,
        password=ctx.shared["password_hash"],
        display_name="Robin Admin",
        role=User.Role.ADMIN,
        email_verified_at=ctx.now,
        timezone="America/New_York",
    )


# When the demo runs this part (core/demo.py): after the parts whose data it uses.
STEPS = [(10, run)]
