"""Signals of the directory.

``access_revoked``: every way into some accounts that the act in progress replaces must die now
(a password change, "se déconnecter partout ailleurs", a new activation code, a deactivation).
Sent by :func:`preau.directory.services.accounts_access_revoke` inside the transaction of that
act, with ``account_ids`` (a list), ``reason`` (a :class:`~preau.directory.services.
RevokeReason` value) and ``keep_session_key`` (the acting person's own session, which stays, or
``None``). Each app that holds a credential answers for its own: sessions and their single
logout (``preau.signin``), the first connection's journey and e-mail links
(``preau.activation``), password-reset links (``preau.recovery``), OpenID Connect tokens
(``preau.sso.oidc``). The directory itself knows none of them.
"""

from __future__ import annotations

from django.dispatch import Signal

access_revoked = Signal()

# ``account_merged``: an account (``source``) was merged into another (``target``) inside the
# transaction of :func:`preau.directory.merges.account_merge`. An app that keeps something of
# the person besides the directory (an OpenID Connect client's ``sub``) moves it and returns a
# dict of what it moved (JSON), kept in the merge record under its own keys.
# ``account_unmerged``: the undo of that merge, with ``moved`` (the record's dict): each app
# puts back what it moved.
account_merged = Signal()
account_unmerged = Signal()

# A guardian's pending link to a child (see :mod:`preau.directory.guardianships`) was frozen
# after too many wrong birth dates (``guardianship``, ``failures``, ``request``), or refused
# by the guardian, "je ne suis pas responsable légal de cet élève" (``guardianship``,
# ``request``). Sent inside the transaction of the change; ``preau.recovery`` files a help
# request for the child's establishment.
guardianship_frozen = Signal()
guardianship_refused = Signal()
