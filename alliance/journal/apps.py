from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "alliance.journal"
    verbose_name = "Journal"
