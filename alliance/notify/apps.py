from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "alliance.notify"
    label = "notify"
    verbose_name = "Notifications"
