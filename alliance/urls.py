from django.urls import include, path

from alliance.api.api import api

urlpatterns = [
    path("", include("alliance.core.urls")),
    path("account/", include("alliance.accounts.urls")),
    path("directory/", include("alliance.directory.urls")),
    path("care/", include("alliance.care.urls")),
    path("api/", api.urls),
]
