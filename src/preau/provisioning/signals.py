"""Signals of provisioning.

``activation_code_reissued``: the school has just handed one person a new activation code
(:func:`preau.provisioning.reissue.account_code_reissue`), inside that act's transaction, with
``actor``, ``account``, ``establishment``, ``was_active`` (the account had its password: its
owner must choose a new one), ``delivery``, ``help_request_id`` (the help request it answers, or
``None``) and ``request``. The help desk (``preau.recovery``) answers: it records the password
change demanded and closes the help request. Provisioning knows neither.
"""

from __future__ import annotations

from django.dispatch import Signal

activation_code_reissued = Signal()
