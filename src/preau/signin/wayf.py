"""Sign-in choices ("Vous êtes…", a WAYF): configured by the deployment, remembered per device.

``PREAU["SIGNIN_CHOICES"]`` lists the choices shown above the sign-in form (see
:data:`preau.conf.DEFAULTS`). A choice leads to the right form: for a local account, the same
form with the hints of that population; for an identity source elsewhere (a ``url``: EduConnect,
an academic IdP…), a button to it above the local form. The choice is made with a plain link
(``?selection=<code>``, so it works without JavaScript and can be linked to directly), and the
last one is remembered on the device in the ``preau_wayf`` cookie by
:class:`SigninChoiceMiddleware`.

Whatever the choice, or without one, the page holds the one CAS login form (``form#fm1``):
scripts that post ``username`` and ``password`` to ``/connexion`` or ``/cas/login`` (pronotepy)
sign in exactly as before. Choosing never changes how credentials are checked.

The CAS login page extends the sign-in template, so both pages show the choices through the
``{% signin_choices as wayf %}`` tag (``preau.signin.templatetags.signin_tags``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

from preau.conf import preau_setting
from preau.directory.models import Membership

COOKIE_NAME = "preau_wayf"
SELECTION_PARAM = "selection"
# The pages that show the choices (and so may remember one).
SIGNIN_VIEWS = frozenset({"signin:login", "cas:login"})
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class SigninChoice:
    code: str
    label: str
    hint: str = ""
    password_hint: str = ""
    description: str = ""
    url: str = ""  # an identity source elsewhere
    # The membership profiles this choice is for (``eleve``, ``responsable``…): the credential
    # letters name the choice their reader should make, with the page's words.
    profiles: tuple[str, ...] = ()

    # A federation of preau.federation ("franceconnect"): its own button leads to ``url``.
    federation: str = ""

    @property
    def is_external(self) -> bool:
        return bool(self.url)

    @property
    def button_template(self) -> str:
        """The federation's own button (its provider's look), '' for the generic one."""
        return f"federation/_{self.federation}_button.html" if self.federation else ""


# Federations an app above the sign-in offers (preau.federation registers FranceConnect in its
# ready()): name -> a function giving the address that starts it, '' while not configured.
_FEDERATIONS: dict[str, Callable[[], str]] = {}


def federation_register(name: str, start_url: Callable[[], str]) -> None:
    """Offer the federation ``name`` to the choices that name it (``"federation": name``)."""
    _FEDERATIONS[name] = start_url


def _federation_url(code: str, name: str) -> str:
    if name not in _FEDERATIONS:
        raise ImproperlyConfigured(
            f"PREAU['SIGNIN_CHOICES']: choice {code!r} names an unknown federation {name!r} "
            f"(known: {', '.join(sorted(_FEDERATIONS))})"
        )
    return _FEDERATIONS[name]()


def signin_choices() -> list[SigninChoice]:
    """The configured choices, checked (``ImproperlyConfigured`` for a bad entry)."""
    configured = preau_setting("SIGNIN_CHOICES") or []
    choices: list[SigninChoice] = []
    seen: set[str] = set()
    for entry in configured:
        code = str(entry.get("code", ""))
        if not _CODE.match(code) or code in seen:
            raise ImproperlyConfigured(
                f"PREAU['SIGNIN_CHOICES']: bad or repeated code {code!r} (lower-case letters, "
                "digits, '-' and '_', 32 characters at most)"
            )
        if not entry.get("label"):
            raise ImproperlyConfigured(f"PREAU['SIGNIN_CHOICES']: choice {code!r} has no label")
        url = str(entry.get("url", "") or "")
        federation = str(entry.get("federation", "") or "")
        if federation:
            url = _federation_url(code, federation)
            if not url:
                continue  # not configured on this deployment: the choice is not offered
        if url and not (url.startswith(("https://", "http://")) or url.startswith("/")):
            raise ImproperlyConfigured(
                f"PREAU['SIGNIN_CHOICES']: choice {code!r} has a url that is not http(s) or a path"
            )
        profiles = tuple(str(p) for p in entry.get("profiles", ()) or ())
        unknown = sorted(set(profiles) - set(Membership.Profile.values))
        if unknown:
            raise ImproperlyConfigured(
                f"PREAU['SIGNIN_CHOICES']: choice {code!r} names unknown profiles {unknown} "
                f"(known: {', '.join(Membership.Profile.values)})"
            )
        seen.add(code)
        choices.append(
            SigninChoice(
                code=code,
                label=str(entry["label"]),
                hint=str(entry.get("hint", "") or ""),
                password_hint=str(entry.get("password_hint", "") or ""),
                description=str(entry.get("description", "") or ""),
                url=url,
                profiles=profiles,
                federation=federation,
            )
        )
    return choices


def signin_choice_for_profiles(profiles: Iterable[str]) -> SigninChoice | None:
    """The sign-in choice of someone holding ``profiles``: the first local choice (no ``url``)
    made for one of them, or None (no choice configured for them: the letter names none)."""
    held = set(profiles)
    return next((c for c in signin_choices() if not c.is_external and held & set(c.profiles)), None)


def _find(code: str | None, choices: list[SigninChoice]) -> SigninChoice | None:
    if not code:
        return None
    return next((c for c in choices if c.code == code), None)


def signin_choice_requested(
    request: HttpRequest, choices: list[SigninChoice] | None = None
) -> SigninChoice | None:
    """The choice named in the address (``?selection=``) or posted back with the form."""
    choices = signin_choices() if choices is None else choices
    code = request.GET.get(SELECTION_PARAM) or request.POST.get(SELECTION_PARAM)
    return _find(code, choices)


def signin_choice_current(
    request: HttpRequest, choices: list[SigninChoice] | None = None
) -> SigninChoice | None:
    """The choice asked for now, else the one remembered on this device, else none."""
    choices = signin_choices() if choices is None else choices
    return signin_choice_requested(request, choices) or _find(
        request.COOKIES.get(COOKIE_NAME), choices
    )


@dataclass(frozen=True)
class ChoiceLink:
    choice: SigninChoice
    href: str
    selected: bool


@dataclass(frozen=True)
class Wayf:
    links: list[ChoiceLink]
    selected: SigninChoice | None


def wayf_context(request: HttpRequest) -> Wayf:
    """The choices as links to this very page (its other parameters kept: ``next``, the CAS
    ``service``…), and the current one."""
    choices = signin_choices()
    selected = signin_choice_current(request, choices)
    links = []
    for choice in choices:
        query = request.GET.copy()
        query[SELECTION_PARAM] = choice.code
        links.append(
            ChoiceLink(
                choice=choice,
                href=f"{request.path}?{query.urlencode()}",
                selected=selected is not None and selected.code == choice.code,
            )
        )
    return Wayf(links=links, selected=selected)


def signin_choice_remember(request: HttpRequest, response: HttpResponse) -> None:
    """Set the cookie when a choice was asked for that the device does not remember yet."""
    if not (request.GET.get(SELECTION_PARAM) or request.POST.get(SELECTION_PARAM)):
        return  # nothing asked for (most requests): the configuration is not even read
    choice = signin_choice_requested(request)
    if choice is None or request.COOKIES.get(COOKIE_NAME) == choice.code:
        return
    from django.conf import settings

    response.set_cookie(
        COOKIE_NAME,
        choice.code,
        max_age=int(preau_setting("SIGNIN_CHOICE_COOKIE_DAYS")) * 86400,
        secure=bool(getattr(settings, "SESSION_COOKIE_SECURE", True)),
        httponly=True,
        samesite="Lax",
    )


class SigninChoiceMiddleware:
    """Remember the sign-in choice on the device, for the sign-in and CAS login pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.view_name in SIGNIN_VIEWS and response.status_code < 500:
            try:
                signin_choice_remember(request, response)
            except ImproperlyConfigured:
                pass  # the page itself reports a bad configuration
        return response


def wayf_for_template(request: Any) -> Wayf | None:
    """What the template tag gives: None when no choice is configured."""
    if request is None:
        return None
    wayf = wayf_context(request)
    return wayf if wayf.links else None
