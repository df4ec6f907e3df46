from django.http import HttpRequest
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


def preau(request: HttpRequest) -> dict[str, object]:
    return {
        "ent_name": preau_setting("ENT_NAME"),
        "help_text": preau_setting("HELP_TEXT"),
        # Evaluated only by the pages that draw the header.
        "is_local_admin": SimpleLazyObject(lambda: _administers_a_school(request)),
        # False while the person has steps to go through (first connection, a new charter…):
        # the header then offers no way out of them. Known from the required-actions
        # middleware or the journey's page; asked for only on the other pages.
        "required_actions_clear": SimpleLazyObject(lambda: _required_actions_clear(request)),
    }
