"""Notifications: e-mail as before, plus Web Push and text messages, each by the person's own
choice of channels and quiet hours, discreet by default (docs/notifications.md).

Every part notifies through `alliance.notify.services.send`; safety alerts to clinicians do
not (they keep their own e-mail path in checkins/safety.py and ignore quiet hours)."""
