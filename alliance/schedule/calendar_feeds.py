"""Each person's private calendar feed URL, and revoking it (`ics.py` writes the feed)."""

from __future__ import annotations

from django.db import transaction

from alliance.accounts.models import User
from alliance.schedule.models import CalendarFeed, new_feed_token


@transaction.atomic
def feed_for(*, user: User) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic
def revoke_feed(*, user: User) -> CalendarFeed:
    """A new secret: the old feed URL stops working at once."""
    feed, created = CalendarFeed.objects.get_or_create(user=user)
    if not created:
        feed.token = new_feed_token()
        feed.save(update_fields=["token"])
    return feed
