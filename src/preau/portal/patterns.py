"""Service address patterns: exact, prefix or regular expression, checked when saved.

A pattern decides which ``service`` addresses a CAS ticket (or a logout redirection) may go
to, so a loose one is an open redirect. What is refused, with a French message saying what to
write instead:

- an address that is not absolute ``http(s)://host/…`` (exact and prefix patterns);
- a prefix that stops inside the host name (``https://pronote.fr`` would also match
  ``https://pronote.fr.attacker.example``): it must reach at least the ``/`` after the host;
- a regular expression that does not compile, or that does not pin the scheme and host
  (it must start with ``^https://`` or ``^http://`` followed by a literal host name).

Regular expressions are matched against the whole address (``re.fullmatch``), and the
address must also be on the scheme and host the expression starts with: an alternation
(``^https://a\\.fr/|.*``) cannot widen it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

EXACT = "exact"
PREFIX = "prefix"
REGEX = "regex"
MAX_LENGTH = 1000
# ^https?:// then a literal host (letters, digits, escaped dots, hyphens), an optional port,
# then the end of the authority: a slash, an escaped slash, ``$`` or ``(?:/…``.
_REGEX_HEAD = re.compile(
    r"^\^(?P<scheme>https?)(?:\\?:)//(?P<host>(?:[A-Za-z0-9-]|\\\.)+)(?P<port>\\?:\d+)?"
    r"(?:/|\\/|\$|\(\?:?/|\(/)"
)


def is_absolute_http(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "@" not in parts.netloc


def pattern_validate(kind: str, value: str) -> str:
    """Return the pattern cleaned (surrounding spaces removed), or raise ``ValidationError``."""
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("Saisissez une adresse ou un motif."), code="required")
    if len(value) > MAX_LENGTH:
        raise ValidationError(
            _("Ce motif est trop long (%(max)d caractères au plus).") % {"max": MAX_LENGTH},
            code="max_length",
        )
    if any(ch.isspace() for ch in value):
        raise ValidationError(_("Une adresse ne contient pas d’espace."), code="space")
    if kind == EXACT:
        if not is_absolute_http(value):
            raise ValidationError(
                _(
                    "Saisissez une adresse complète commençant par https:// (par exemple "
                    "https://pronote.exemple.fr/pronote/)."
                ),
                code="not_absolute",
            )
        return value
    if kind == PREFIX:
        if not is_absolute_http(value):
            raise ValidationError(
                _(
                    "Un préfixe commence par https:// suivi du nom du serveur (par exemple "
                    "https://pronote.exemple.fr/)."
                ),
                code="not_absolute",
            )
        if not urlsplit(value).path.startswith("/"):
            raise ValidationError(
                _(
                    "Terminez le nom du serveur par une barre oblique (« %(value)s/ ») : sans "
                    "elle, le préfixe accepterait aussi « %(value)s.autre-site.fr »."
                )
                % {"value": value},
                code="open_host",
            )
        return value
    if kind == REGEX:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValidationError(
                _("Cette expression régulière est invalide : %(error)s.") % {"error": exc},
                code="invalid_regex",
            ) from exc
        if not _REGEX_HEAD.match(value):
            raise ValidationError(
                _(
                    "L’expression régulière doit commencer par ^https:// suivi du nom exact du "
                    "serveur et d’une barre oblique (par exemple ^https://pronote\\.exemple\\.fr/"
                    ".*) : un motif plus large redirigerait vers n’importe quel site."
                ),
                code="open_regex",
            )
        return value
    raise ValidationError(_("Type de motif inconnu."), code="kind")


def regex_origin(value: str) -> tuple[str, str, int | None] | None:
    """The (scheme, host, port) a valid regular expression pins, e.g. ("https", "a.fr", None)."""
    head = _REGEX_HEAD.match(value)
    if head is None:
        return None
    port = head.group("port")
    host = head.group("host").replace("\\", "").lower()
    return head.group("scheme"), host, int(port.lstrip("\\:")) if port else None


def url_origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except ValueError:
        return None


def pattern_matches(kind: str, value: str, url: str) -> bool:
    if kind == EXACT:
        return url == value
    if kind == PREFIX:
        return url.startswith(value)
    if kind == REGEX:
        origin = regex_origin(value)
        return (
            origin is not None
            and re.fullmatch(value, url) is not None
            and url_origin(url) == origin
        )
    return False
