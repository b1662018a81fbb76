"""A therapist's own profile form: the statement and the photo, and bad input refused with
a clear message and nothing changed."""

from __future__ import annotations

import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from alliance.directory import portraits
from alliance.directory.models import TherapistPhoto, TherapistProfile
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db

URL = "/directory/profile/"


def image_file(fmt: str = "PNG", size=(900, 600), mode="RGB", noise=False, **save) -> bytes:
    if noise:
        image = Image.frombytes("RGB", size, random.Random(7).randbytes(size[0] * size[1] * 3))
    else:
        image = Image.new(mode, size, (200, 120, 40, 128)[: len(mode)])
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def upload(data: bytes, name: str = "me.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def profile_of(therapist) -> TherapistProfile:
    return TherapistProfile.objects.get(user=therapist)


def test_therapist_saves_a_statement_and_a_photo(their_therapist, partnership, client_user):
    browser = logged_in(their_therapist)
    assert browser.get(URL).status_code == 200
    # when they save a statement and a large transparent PNG
    response = browser.post(
        URL,
        {
            "statement": "  I work gently, at your pace.  ",
            "photo": upload(image_file(mode="RGBA", size=(1600, 1200))),
        },
    )
    assert response.status_code == 302
    profile = profile_of(their_therapist)
    assert profile.statement == "I work gently, at your pace."
    assert profile.photo_updated_at is not None
    # then what is stored is a JPEG made here, no larger than the page needs
    stored = bytes(TherapistPhoto.objects.get(profile=profile).image)
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and max(image.size) == portraits.PHOTO_SIDE
    # and the profile page shows it from this host, to their client too
    html = logged_in(client_user).get(f"/therapists/{their_therapist.pk}/").content.decode()
    assert f'src="/therapists/{their_therapist.pk}/photo/?v=' in html
    assert 'alt="Photo of Dr Tess"' in html and "portrait initials" not in html
    photo = logged_in(client_user).get(f"/therapists/{their_therapist.pk}/photo/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert photo.content == stored and photo["X-Content-Type-Options"] == "nosniff"


def test_photo_metadata_is_not_kept(their_therapist):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (40.0, 44.0, 0.0)}  # GPS: latitude
    data = image_file("JPEG", size=(300, 300), exif=exif.tobytes())
    logged_in(their_therapist).post(URL, {"statement": "", "photo": upload(data, "me.jpg")})
    stored = bytes(TherapistPhoto.objects.get(profile=profile_of(their_therapist)).image)
    assert b"PhoneMaker" not in stored and not Image.open(io.BytesIO(stored)).getexif()


def test_webp_is_accepted(their_therapist):
    data = image_file("WEBP", size=(200, 200))
    response = logged_in(their_therapist).post(
        URL, {"statement": "", "photo": upload(data, "me.webp", "image/webp")}
    )
    assert response.status_code == 302 and profile_of(their_therapist).photo_updated_at


def test_a_photo_above_the_in_memory_request_limit_is_accepted(their_therapist, settings):
    # given a photo of 1.7 MB (noise does not compress), above the 1 MB a form may hold
    data = image_file("PNG", size=(800, 700), noise=True)
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < len(data) < portraits.PHOTO_MAX_BYTES
    response = logged_in(their_therapist).post(URL, {"statement": "Hi", "photo": upload(data)})
    assert response.status_code == 302 and profile_of(their_therapist).photo_updated_at


@pytest.mark.parametrize("big", [False, True], ids=["small photo", "large photo"])
def test_a_nul_in_the_text_beside_a_photo_is_still_refused(their_therapist, big):
    data = image_file("PNG", size=(800, 700), noise=big)
    response = logged_in(their_therapist).post(
        URL, {"statement": "Hi\x00there", "photo": upload(data)}
    )
    assert response.status_code == 400 and b"NUL character" in response.content
    assert profile_of(their_therapist).photo_updated_at is None


def test_the_statement_is_shown_on_the_form_again(their_therapist):
    TherapistProfile.objects.filter(user=their_therapist).update(statement="Hello <there>")
    html = logged_in(their_therapist).get(URL).content.decode()
    assert "Hello &lt;there&gt;</textarea>" in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"statement": "x" * 601}, "Ensure this value has at most 600 characters (it has 601)."),
        (
            {"statement": "New words", "photo": b"GIF89a" + image_file("GIF")[6:]},
            "Please choose a JPEG, PNG or WebP photo.",
        ),
        (
            {"statement": "New words", "photo": b"<svg onload=alert(1)></svg>"},
            "Please choose a JPEG, PNG or WebP photo.",
        ),
        (
            {"statement": "New words", "photo": image_file("PNG")[:200]},
            "This photo could not be read. Please choose another.",
        ),
        (
            {"statement": "New words", "photo": image_file("PNG") + b"\0" * (2 * 1024 * 1024)},
            "This photo is larger than 2 MB. Please choose a smaller one.",
        ),
    ],
    ids=["statement too long", "gif", "svg", "truncated", "too large"],
)
def test_bad_input_is_refused_with_a_message_and_nothing_changes(their_therapist, data, message):
    # given a saved statement and photo
    browser = logged_in(their_therapist)
    browser.post(URL, {"statement": "Before", "photo": upload(image_file())})
    before = profile_of(their_therapist)
    photo_before = bytes(TherapistPhoto.objects.get(profile=before).image)
    # when the form comes back with bad input
    if "photo" in data:
        data = {**data, "photo": upload(data["photo"])}
    response = browser.post(URL, data)
    # then it says what is wrong, and nothing is changed
    assert response.status_code == 400
    assert message in response.content.decode()
    after = profile_of(their_therapist)
    assert (after.statement, after.photo_updated_at) == ("Before", before.photo_updated_at)
    assert bytes(TherapistPhoto.objects.get(profile=after).image) == photo_before


def test_a_photo_is_removed_and_initials_come_back(their_therapist):
    browser = logged_in(their_therapist)
    browser.post(URL, {"statement": "", "photo": upload(image_file())})
    assert "Remove my photo" in browser.get(URL).content.decode()
    response = browser.post(URL, {"statement": "", "remove_photo": "on"})
    assert response.status_code == 302
    assert profile_of(their_therapist).photo_updated_at is None
    assert not TherapistPhoto.objects.exists()
    html = browser.get(f"/therapists/{their_therapist.pk}/").content.decode()
    assert '<span class="portrait initials" aria-hidden="true">TE</span>' in html


def test_saving_the_profile_leaves_the_matching_snapshot_alone(their_therapist):
    before = profile_of(their_therapist).updated_at
    logged_in(their_therapist).post(URL, {"statement": "New", "photo": upload(image_file())})
    assert profile_of(their_therapist).updated_at == before


def test_only_a_therapist_has_this_form(client_user, admin_user):
    assert logged_in(client_user).get(URL).status_code == 403
    assert logged_in(admin_user).get(URL).status_code == 403


@pytest.mark.parametrize(
    ("name", "letters"),
    [("Dr Ana Lopez", "AL"), ("Tess", "TE"), ("María José García", "MG"), ("", "?")],
)
def test_initials(name, letters):
    assert portraits.initials(name) == letters


def test_a_truncated_photo_is_refused_even_when_pillow_loads_truncated_images(
    their_therapist, monkeypatch
):
    # WeasyPrint (billing's PDFs) turns this process-wide flag on when it is imported.
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    response = logged_in(their_therapist).post(
        URL, {"statement": "New words", "photo": upload(image_file("PNG", noise=True)[:2000])}
    )
    assert response.status_code == 400
    assert "This photo could not be read." in response.content.decode()
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # the flag is given back as it was
