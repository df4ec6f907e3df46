"""The WSGI application: sessions in memory, CAS 3.0 through python-cas (``CASClientV3``)."""

from __future__ import annotations

import html
import json
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlencode

from cas import CASClient

COOKIE = "vie_scolaire"
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass
class Person:
    user: str
    attributes: dict[str, Any]
    ticket: str

    def _first(self, *names: str) -> str:
        for name in names:
            value = self.attributes.get(name)
            if isinstance(value, list):
                value = value[0] if value else ""
            if value:
                return str(value)
        return ""

    @property
    def name(self) -> str:
        first = self._first("givenName", "prenom")
        last = self._first("sn", "nom")
        return f"{first} {last}".strip() or self.user

    @property
    def classes(self) -> list[str]:
        value = self.attributes.get("classes") or []
        return [value] if isinstance(value, str) else list(value)


@dataclass
class VieScolaire:
    """``cas_url``: Préau's CAS address (``…/cas/``); ``base_url``: this site's address."""

    cas_url: str
    base_url: str
    sessions: dict[str, Person] = field(default_factory=dict)
    logouts: list[str] = field(default_factory=list)  # SessionIndex of each LogoutRequest
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self) -> Any:
        return CASClient(version=3, service_url=self.base_url + "login", server_url=self.cas_url)

    # --- WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        method = environ.get("REQUEST_METHOD", "GET")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if path == "/login" and method == "POST":
            return self.single_logout(environ, start_response)
        if path == "/login":
            return self.login(environ, start_response, (query.get("ticket") or [""])[0])
        if path == "/logout":
            return self.logout(environ, start_response)
        if path == "/_state":
            body = json.dumps({"sessions": len(self.sessions), "logouts": self.logouts})
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body.encode()]
        if path == "/":
            return self.home(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"Page introuvable"]

    def _session_id(self, environ: dict[str, Any]) -> str:
        cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        return cookie[COOKIE].value if COOKIE in cookie else ""

    def _page(
        self, start_response: StartResponse, title: str, body: str, *headers: Any
    ) -> list[bytes]:
        page = (
            '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)} — Vie scolaire</title></head>"
            f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
        )
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), *headers])
        return [page.encode()]

    def home(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        person = self.sessions.get(self._session_id(environ))
        if person is None:
            return self._page(
                start_response,
                "Vie scolaire",
                '<p id="anonymous">Vous n’êtes pas connecté.</p>'
                '<p><a href="/login">Se connecter avec l’ENT</a></p>',
            )
        classes = ", ".join(person.classes)
        greeting = f"Bonjour {html.escape(person.name)}"
        detail = f'<p id="class">Classe : {html.escape(classes)}</p>' if classes else ""
        return self._page(
            start_response,
            "Vie scolaire",
            f'<p id="greeting">{greeting}</p>{detail}'
            f'<p>Identifiant : <span id="user">{html.escape(person.user)}</span></p>'
            '<p><a href="/logout">Se déconnecter</a></p>',
        )

    def login(
        self, environ: dict[str, Any], start_response: StartResponse, ticket: str
    ) -> list[bytes]:
        client = self.client()
        if not ticket:
            start_response("302 Found", [("Location", client.get_login_url())])
            return [b""]
        user, attributes, _pgtiou = client.verify_ticket(ticket)
        if not user:
            return self._page(
                start_response,
                "Connexion impossible",
                '<p id="failure">Le ticket de l’ENT n’a pas été accepté.</p>'
                '<p><a href="/login">Réessayer</a></p>',
            )
        session_id = secrets.token_urlsafe(24)
        with self._lock:
            self.sessions[session_id] = Person(
                user=user, attributes=attributes or {}, ticket=ticket
            )
        start_response(
            "302 Found",
            [
                ("Location", "/"),
                ("Set-Cookie", f"{COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Lax"),
            ],
        )
        return [b""]

    def logout(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        with self._lock:
            self.sessions.pop(self._session_id(environ), None)
        target = self.client().get_logout_url(self.base_url)
        start_response(
            "302 Found",
            [("Location", target), ("Set-Cookie", f"{COOKIE}=; Path=/; Max-Age=0")],
        )
        return [b""]

    def single_logout(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        """The back-channel LogoutRequest: close the session opened with that ticket."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = parse_qs(environ["wsgi.input"].read(length).decode()) if length else {}
        document = (form.get("logoutRequest") or [""])[0]
        indexes = self.client().get_saml_slos(document) or []
        with self._lock:
            for element in indexes:
                ticket = (element.text or "").strip()
                self.logouts.append(ticket)
                for key, person in list(self.sessions.items()):
                    if person.ticket == ticket:
                        del self.sessions[key]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def login_url(cas_url: str, base_url: str) -> str:
    return cas_url + "login?" + urlencode({"service": base_url + "login"})
