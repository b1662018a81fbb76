"""A therapist's portrait: their photo, re-encoded here, or else their initials.

A photo is decoded with Pillow and written again as a small JPEG, so what is stored and
served is never the file someone sent: no metadata (a phone photo's EXIF carries where it
was taken), no trailing bytes, no other format dressed up as an image. The type is what
Pillow finds in the bytes, not the name or the browser's content type.
"""

from __future__ import annotations

import io
import threading
import warnings
from typing import IO

from django.utils.translation import gettext as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from alliance.core.errors import DomainError

PHOTO_MAX_BYTES = 2 * 1024 * 1024
PHOTO_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
# More pixels than any phone camera takes: a bigger one is a decompression bomb, refused
# before it is decoded.
PHOTO_MAX_PIXELS = 50_000_000
# Stored at most this wide and high: twice the largest size a page shows it at.
PHOTO_SIDE = 480

# Titles left out of the initials ("Dr Ana Lopez" is AL).
TITLES = frozenset({"dr", "dr.", "prof", "prof.", "mx", "mx.", "ms", "ms.", "mr", "mr.", "mrs"})


class PhotoError(DomainError):
    """A photo refused; the message says what to send instead."""

    status = 400


_TRUNCATION = threading.Lock()


def _load_whole(opened: Image.Image) -> None:
    """Load every pixel, refusing a truncated file. WeasyPrint sets Pillow's process-wide
    LOAD_TRUNCATED_IMAGES on import (billing's PDFs), which would let a cut-off upload
    through as a half-grey photo; the flag is held off, under a lock, while a photo loads."""
    with _TRUNCATION:
        allowed = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            opened.load()
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = allowed


def prepare_photo(upload: IO[bytes], size: int) -> bytes:
    """The uploaded photo as a JPEG of at most PHOTO_SIDE pixels a side, or PhotoError."""
    if size > PHOTO_MAX_BYTES:
        raise PhotoError(_("This photo is larger than 2 MB. Please choose a smaller one."))
    refused = PhotoError(_("Please choose a JPEG, PNG or WebP photo."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(upload, formats=sorted(PHOTO_FORMATS))
            if opened.width * opened.height > PHOTO_MAX_PIXELS:
                raise refused
            _load_whole(opened)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise refused from None
    except (OSError, ValueError, SyntaxError):  # a truncated or corrupt file
        raise PhotoError(_("This photo could not be read. Please choose another.")) from None
    image: Image.Image = ImageOps.exif_transpose(opened)  # upright, as the phone showed it
    image.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
    if image.mode != "RGB":
        # A transparent PNG gets a white background rather than black.
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def initials(name: str) -> str:
    """Two letters for an avatar: the first and last names' first letters ("AL")."""
    words = [w for w in name.split() if w.lower() not in TITLES and w[:1].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else words[0][1:2])
    return letters.upper()
