from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "alliance.care"
    verbose_name = "Care"
