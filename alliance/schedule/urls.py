from __future__ import annotations

from django.urls import path

from alliance.schedule import note_views, views

app_name = "schedule"

urlpatterns = [
    path("", views.index, name="index"),
    path("partnerships/<int:pk>/book/", views.book, name="book"),
    path("partnerships/<int:pk>/history/", views.history, name="history"),
    path("partnerships/<int:pk>/ending/", views.ending_view, name="ending"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment"),
    path("appointments/<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("appointments/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("appointments/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("appointments/<int:pk>/note/", note_views.note, name="note"),
    path("appointments/<int:pk>/note/sign/", note_views.sign_note, name="sign_note"),
    path("appointments/<int:pk>/note/addenda/", note_views.add_addendum, name="add_addendum"),
    path("appointments/<int:pk>/note/share/", note_views.share_note, name="share_note"),
    path("notes/unsigned/", note_views.unsigned_notes, name="unsigned_notes"),
    path("notes/cosign/", note_views.cosign_queue, name="cosign_queue"),
    path("notes/<int:pk>/cosign/", note_views.cosign_note, name="cosign_note"),
    path("note-templates/", note_views.note_settings, name="note_settings"),
    path("appointments/<int:pk>/calendar.ics", views.appointment_ics, name="appointment_ics"),
    path("availability/", views.availability_view, name="availability"),
    path("calendar/", views.calendar_settings, name="calendar"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
]
