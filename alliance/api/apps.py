from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "alliance.api"
    verbose_name = "Api"
