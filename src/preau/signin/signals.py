"""Signals of the sign-in app.

``session_ended``: a session is being ended from elsewhere ("se déconnecter partout ailleurs",
a password change or reset, the school's action), not by its owner's own sign-out (that one is
Django's ``user_logged_out``). Sent once per session, just before it is deleted, with
``session`` (the session store, loaded on demand), ``account`` and ``reason`` (a
``SessionRecord.EndReason``). Receivers end what hangs on the session: the CAS SSO session and
its single logout (``preau.sso.cas.receivers``).
"""

from __future__ import annotations

from django.dispatch import Signal

session_ended = Signal()
