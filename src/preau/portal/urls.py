from django.urls import path

from preau.activation.middleware import required_actions_exempt
from preau.portal import views
from preau.portal.models import SitePage

app_name = "portal"

# The footer's pages are read by anyone, a person in the middle of a first connection too
# (before accepting the charter, one may want the personal data page).
_site_page = required_actions_exempt(views.site_page)

urlpatterns = [
    path("portails", views.portal_choose, name="choose"),
    path(
        "mentions-legales",
        _site_page,
        {"kind": SitePage.Kind.LEGAL_NOTICE.value},
        name="legal_notice",
    ),
    path(
        "accessibilite",
        _site_page,
        {"kind": SitePage.Kind.ACCESSIBILITY.value},
        name="accessibility",
    ),
    path(
        "donnees-personnelles",
        _site_page,
        {"kind": SitePage.Kind.PERSONAL_DATA.value},
        name="personal_data",
    ),
    # /aide/ is the help request to the school (preau.recovery); this is the help page.
    path("besoin-d-aide", _site_page, {"kind": SitePage.Kind.HELP.value}, name="help"),
]
