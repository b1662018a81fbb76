"""The shipped ICD-10-CM chapter 5: every code is written as ICD-10-CM writes it, is in
chapter 5, and is billable (no code on the list is the parent of another)."""

from __future__ import annotations

from itertools import pairwise

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from alliance.core import icd10cm


def test_the_list_is_the_whole_chapter_of_billable_codes():
    codes = icd10cm.codes()
    assert len(codes) == 871  # the April 1, 2026 release
    assert all(icd10cm.FORMAT.fullmatch(code) for code in codes)
    assert all(description.strip() for description in codes.values())
    ordered = sorted(codes)
    # a parent sorts just before its children: none is followed by one it prefixes
    assert not [a for a, b in pairwise(ordered) if b.startswith(a)]
    for code in ("F01.50", "F32.A", "F41.1", "F43.10", "F84.0", "F99"):
        assert code in codes


@given(st.sampled_from(sorted(icd10cm.codes())))
def test_every_code_is_accepted_however_it_is_typed(code):
    assert icd10cm.check_code(f"  {code.lower()} ") == (code, icd10cm.codes()[code])


@pytest.mark.parametrize("text", ["F43.1", "F32", "F41", "F99.9", "F01.5"])
def test_a_header_or_an_unknown_code_is_refused(text):
    # matched in English, whatever language an earlier test left on
    with translation.override("en"), pytest.raises(icd10cm.CodeError, match="not a billable"):
        icd10cm.check_code(text)


@pytest.mark.parametrize("text", ["", "Z63.0", "F4", "41.1", "F41.1x9999", "F41.1; DROP"])
def test_a_badly_written_code_is_refused(text):
    with (
        translation.override("en"),
        pytest.raises(icd10cm.CodeError, match="Write the ICD-10-CM code"),
    ):
        icd10cm.check_code(text)
