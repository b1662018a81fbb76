from django.urls import path

from alliance.notify import views

app_name = "notify"

urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("settings/phone/", views.phone, name="phone"),
    path("settings/phone/confirm/", views.phone_confirm, name="phone_confirm"),
    path("settings/phone/remove/", views.phone_remove, name="phone_remove"),
    path("push/subscribe/", views.push_subscribe, name="push_subscribe"),
    path("push/unsubscribe/", views.push_unsubscribe, name="push_unsubscribe"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("sms/inbound/", views.sms_inbound, name="sms_inbound"),
]
