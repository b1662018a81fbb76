from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "alliance.core"
    verbose_name = "Core"
