"""Signals of the first connection.

``birth_date_blocked``: the birth date was refused ``PREAU["BIRTH_DATE_MAX_FAILURES"]`` times in
one journey and the step is now blocked. Sent inside the transaction that blocks it, with
``account`` (the person signing in), ``subject`` (whose birth date was asked: the person, or a
guardian's child), ``failures`` and ``request`` (or ``None``). The school's side answers: the
recovery app files a help request in the account's establishments (see
``preau.recovery.receivers``), so that the activation app needs to know nothing of it.
"""

from __future__ import annotations

from django.dispatch import Signal

birth_date_blocked = Signal()
