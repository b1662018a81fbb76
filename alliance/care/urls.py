from django.urls import path

from alliance.care import views

app_name = "care"

urlpatterns = [
    path("partnerships/<int:pk>/", views.partnership_detail, name="partnership_detail"),
    path("intake/", views.intake, name="intake"),
    path("matches/", views.matches, name="matches"),
    path("offers/<int:offer_id>/choose/", views.choose, name="choose"),
    path("offers/<int:offer_id>/decline/", views.decline, name="decline"),
    path("switch/", views.switch, name="switch"),
    path("waiting-list/", views.waitlist_page, name="waitlist"),
    path("admin/waiting-list/", views.admin_waitlist, name="admin_waitlist"),
    path(
        "admin/therapists/<int:therapist_id>/leave/",
        views.therapist_leaves,
        name="therapist_leaves",
    ),
    path("records/", views.records_list, name="records"),
    path("records/mine/", views.my_record, name="my_record"),
    path("records/<int:therapist_id>/", views.record_detail, name="record_detail"),
]
