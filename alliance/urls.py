from django.urls import include, path

from alliance.api.api import api
from alliance.core.language import javascript_catalog, set_language

urlpatterns = [
    path("", include("alliance.core.urls")),
    path("", include("alliance.home.urls")),
    path("account/", include("alliance.accounts.urls")),
    path("directory/", include("alliance.directory.urls")),
    path("care/", include("alliance.care.urls")),
    path("checkins/", include("alliance.checkins.urls")),
    path("schedule/", include("alliance.schedule.urls")),
    path("billing/", include("alliance.billing.urls")),
    path("conversations/", include("alliance.conversations.urls")),
    path("goals/", include("alliance.goals.urls")),
    path("journal/", include("alliance.journal.urls")),
    path("records/", include("alliance.records.urls")),
    path("privacy/", include("alliance.privacy.urls")),
    path("notify/", include("alliance.notify.urls")),
    path("api/", api.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("i18n/js/", javascript_catalog, name="javascript-catalog"),
]
