"""Which account an EduConnect identity proves from the school's own data (issue 15, part 3).

- A pupil: the directory holds the INE EduConnect gives, on an account with the same names
  (folded as the imports fold them, :func:`preau.names.names_key`) and a current pupil
  membership (in the establishment of ``FrEduCtEleveUAI`` when EduConnect names one).
- A parent: the INE of the pupils EduConnect gives are exactly the current children of exactly
  one guardian account.

- A parent whose children are spread over several guardian records (a parent known by
  several schools, each with its own record): every record bears the parent's names (folded),
  holds only children EduConnect gives, no child is on two of them (two records of one child
  with the same names are a duplicate for the school, or two people), and together they hold
  exactly those children. The
  assertion proves each of them; the person chooses the one to link
  (:func:`educonnect_accounts_to_choose`), and may merge the others afterwards. Two parents of
  one child are never confused: their names differ, and a record holding a child EduConnect
  does not give is nobody's choice.

Anything else (no INE, an INE unknown or with other names, an account already linked to
another EduConnect identity) proves nothing: the person then proves the account once on the
proof page. Names alone never link.
"""

from __future__ import annotations

from collections import defaultdict

from preau.directory.models import Account, Guardianship, Membership
from preau.federation.educonnect import PROVIDER, EduConnectAnswer
from preau.federation.models import FederatedIdentity
from preau.names import names_key

_LINKABLE = (Account.State.ACTIVE, Account.State.PROVISIONED)


def educonnect_account_proven(answer: EduConnectAnswer) -> Account | None:
    """The one account the answer proves, or None."""
    if answer.is_pupil and len(answer.ine) == 1:
        account = _pupil(answer)
    elif answer.is_parent and answer.ine:
        account = _guardian(set(answer.ine))
    else:
        return None
    if account is None or account.state not in _LINKABLE:
        return None
    if FederatedIdentity.objects.filter(provider=PROVIDER, account=account).exists():
        return None  # already linked to another EduConnect identity: the person proves it
    return account


def _pupil(answer: EduConnectAnswer) -> Account | None:
    memberships = Membership.objects.current().filter(
        account__ine=answer.ine[0], profile=Membership.Profile.STUDENT
    )
    if answer.uai:
        memberships = memberships.filter(establishment__uai=answer.uai)
    account = Account.objects.filter(pk__in=memberships.values("account_id")).first()
    if account is None or not answer.last_name or not answer.first_name:
        return None
    if names_key(account.last_name, account.first_name) != names_key(
        answer.last_name, answer.first_name
    ):
        return None
    return account


def _guardian(ines: set[str]) -> Account | None:
    links = (
        Guardianship.objects.current()
        .filter(student__ine__in=ines)
        .values_list("guardian_id", flat=True)
    )
    candidates = set(links)
    if not candidates:
        return None
    children: dict[int, set[str]] = defaultdict(set)
    for guardian_id, ine in (
        Guardianship.objects.current()
        .filter(guardian_id__in=candidates)
        .values_list("guardian_id", "student__ine")
    ):
        children[guardian_id].add(ine or "")
    exact = [g for g in candidates if children[g] == ines]
    if len(exact) != 1:
        return None
    return Account.objects.filter(pk=exact[0]).first()


def educonnect_accounts_to_choose(answer: EduConnectAnswer) -> list[Account]:
    """A parent's guardian records that the answer proves together (see the module's text),
    when there are several; [] otherwise. In login order."""
    if not answer.is_parent or not answer.ine or not answer.last_name or not answer.first_name:
        return []
    ines = set(answer.ine)
    wanted = names_key(answer.last_name, answer.first_name)
    children: dict[int, set[str]] = defaultdict(set)
    candidates = set(
        Guardianship.objects.current()
        .filter(student__ine__in=ines)
        .values_list("guardian_id", flat=True)
    )
    for guardian_id, ine in (
        Guardianship.objects.current()
        .filter(guardian_id__in=candidates)
        .values_list("guardian_id", "student__ine")
    ):
        children[guardian_id].add(ine or "")
    accounts = [
        account
        for account in Account.objects.filter(pk__in=candidates, state__in=_LINKABLE).order_by(
            "login"
        )
        if names_key(account.last_name, account.first_name) == wanted
        and children[account.pk] <= ines
    ]
    linked = set(
        FederatedIdentity.objects.filter(provider=PROVIDER, account__in=accounts).values_list(
            "account_id", flat=True
        )
    )
    accounts = [a for a in accounts if a.pk not in linked]
    covered = set().union(*(children[a.pk] for a in accounts)) if accounts else set()
    disjoint = sum(len(children[a.pk]) for a in accounts) == len(covered)
    return accounts if len(accounts) > 1 and covered == ines and disjoint else []
