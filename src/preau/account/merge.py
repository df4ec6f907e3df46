""" "Fusion de comptes" in "Mon compte": the person signed in to account A proves they also
hold account B (B's identifier and password, or B's letter's code while valid: the sign-in's
own check, :func:`preau.signin.backends.credentials_verify`), sees what will move, confirms.
The merge itself is the directory's (:func:`preau.directory.merges.account_merge`).

Nothing tells an unknown identifier from a wrong password: both give the same answer, after
the same one Argon2 computation. The attempts count against the signed-in person, the client
address and the typed identifier (the sign-in's own throttle: this page is no way round it).
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import gettext as _

from preau.audit.services import audit_record, client_ip
from preau.directory.merges import merge_refusal
from preau.directory.models import Account
from preau.signin.backends import Verdict, credentials_verify, normalize_identifier
from preau.signin.services import SCOPE_ACCOUNT as SIGNIN_SCOPE_ACCOUNT
from preau.signin.throttle import throttle_check, throttle_fail, throttle_reset

SCOPE_MERGE_ACCOUNT = "account.merge.account"
SCOPE_MERGE_ADDRESS = "account.merge.address"
# In the session, once B is proven: {"source": B's id, "target": A's id, "at": time}.
PROOF_SESSION_KEY = "preau_merge_proof"
PROOF_SECONDS = 10 * 60


class ProofOutcome(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"
    REFUSED = "refused"


@dataclass(frozen=True)
class Proof:
    outcome: ProofOutcome
    source: Account | None = None
    wait: int = 0
    # REFUSED: why, in French (only whoever typed the right secret reads it).
    message: str = ""


def _keys(account: Account, login: str, request: HttpRequest | None) -> list[tuple[str, str]]:
    keys = [(SCOPE_MERGE_ACCOUNT, str(account.pk)), (SIGNIN_SCOPE_ACCOUNT, login)]
    address = client_ip(request)
    if address:
        keys.append((SCOPE_MERGE_ADDRESS, address))
    return keys


def _refusal(account: Account, login: str, result_account: Account, alias: str) -> str | None:
    if alias:
        return _("L'identifiant %(login)s a déjà été fusionné dans un autre compte.") % {
            "login": login
        }
    if result_account.pk == account.pk:
        return _(
            "C'est l'identifiant du compte auquel vous êtes connecté : saisissez celui de votre "
            "autre compte."
        )
    return merge_refusal(source=result_account, target=account)


def merge_proof_check(
    *, account: Account, identifier: str, password: str, request: HttpRequest | None = None
) -> Proof:
    """Check that the person signed in to ``account`` holds the account ``identifier``."""
    login = normalize_identifier(identifier)
    keys = _keys(account, login, request)
    wait = max(throttle_check(scope, key) for scope, key in keys)
    if wait > 0:
        return Proof(ProofOutcome.THROTTLED, wait=wait)
    result = credentials_verify(login, password)
    other = result.account
    right = result.verdict.succeeded or (
        result.verdict == Verdict.DEACTIVATED and result.secret_correct
    )
    if right and other is not None:
        reason = _refusal(account, login, other, result.alias)
        throttle_reset(SCOPE_MERGE_ACCOUNT, str(account.pk))
        throttle_reset(SIGNIN_SCOPE_ACCOUNT, login)
        if reason is not None:
            return Proof(ProofOutcome.REFUSED, message=reason)
        if request is not None:
            request.session[PROOF_SESSION_KEY] = {
                "source": other.pk,
                "target": account.pk,
                "at": time.time(),
            }
        return Proof(ProofOutcome.OK, source=other)
    delay = max(throttle_fail(scope, key) for scope, key in keys)
    audit_record(
        action="account.merge.proof_failure",
        actor=account,
        target=account,
        request=request,
        data={
            "identifier": login[:64],
            "reason": str(result.verdict),
            **({"throttled_for": delay} if delay else {}),
        },
    )
    return Proof(ProofOutcome.WRONG)


def merge_proven(request: HttpRequest, account: Account) -> Account | None:
    """The account proven on this session for ``account``, while the proof lasts."""
    held = request.session.get(PROOF_SESSION_KEY)
    if not isinstance(held, dict) or held.get("target") != account.pk:
        return None
    if not 0 <= time.time() - float(held.get("at") or 0) < PROOF_SECONDS:
        return None
    source = held.get("source")
    return Account.objects.filter(pk=int(source)).first() if source else None


def merge_proof_forget(request: HttpRequest) -> None:
    request.session.pop(PROOF_SESSION_KEY, None)
