from dataclasses import dataclass

from django.http import HttpRequest
from django.templatetags.static import static
from django.utils.functional import SimpleLazyObject

from preau.conf import preau_setting

# Whether to draw the header's "Console" link, computed once per session: the console checks the
# person's rights on every request anyway, so a right granted meanwhile shows at the next sign-in.
CONSOLE_LINK_SESSION_KEY = "preau_console_link"


def _administers_a_school(request: HttpRequest) -> bool:
    from preau.directory.selectors import establishments_administered

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    session = request.session
    if CONSOLE_LINK_SESSION_KEY not in session:
        session[CONSOLE_LINK_SESSION_KEY] = establishments_administered(actor=user).exists()
    return bool(session[CONSOLE_LINK_SESSION_KEY])


def _required_actions_clear(request: HttpRequest) -> bool:
    from preau.activation.middleware import required_actions_clear

    return required_actions_clear(request)


@dataclass(frozen=True)
class SiteIdentity:
    """Who runs the ENT, as the header and the footer show it (PREAU_OPERATOR_*)."""

    operator_name: str
    operator_logo: str  # an address, or ""
    state_service: bool  # the State's "République française" block is shown

    @property
    def has_brand(self) -> bool:
        """Whether the header shows a block beside the service's name (State, logo)."""
        return self.state_service or bool(self.operator_logo)


def _logo_url(value: str) -> str:
    if not value or value.startswith(("https://", "http://", "/")):
        return value
    try:
        return static(value)
    except ValueError:  # a static file name the storage does not know
        return ""


def site_identity() -> SiteIdentity:
    return SiteIdentity(
        operator_name=str(preau_setting("OPERATOR_NAME")),
        operator_logo=_logo_url(str(preau_setting("OPERATOR_LOGO"))),
        state_service=bool(preau_setting("STATE_SERVICE")),
    )


def site_context() -> dict[str, object]:
    """What the frame of every page shows, from the settings alone (no request, no database):
    the error pages that must render whatever is broken (400, 500) use it as it is."""
    return {
        "ent_name": preau_setting("ENT_NAME"),
        "help_text": preau_setting("HELP_TEXT"),
        "site": site_identity(),
    }


def _accessibility_conformity() -> str:
    from preau.portal.models import SitePage
    from preau.portal.selectors import accessibility_conformity

    return str(SitePage.Conformity(accessibility_conformity()).label)


def preau(request: HttpRequest) -> dict[str, object]:
    return {
        **site_context(),
        # The footer's "Accessibilité : partiellement conforme" (RGAA), from the cache.
        "accessibility_conformity": SimpleLazyObject(_accessibility_conformity),
        # Evaluated only by the pages that draw the header.
        "is_local_admin": SimpleLazyObject(lambda: _administers_a_school(request)),
        # False while the person has steps to go through (first connection, a new charter…):
        # the header then offers no way out of them. Known from the required-actions
        # middleware or the journey's page; asked for only on the other pages.
        "required_actions_clear": SimpleLazyObject(lambda: _required_actions_clear(request)),
    }
