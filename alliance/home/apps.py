from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "alliance.home"
    verbose_name = "Home pages"
