from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "alliance.directory"
    verbose_name = "Directory"
