"""The demo school: loaded through the real importer from the sample files Préau ships.

Running it twice changes nothing (the importer is idempotent, accounts are looked up first), so
``preau demo`` can be started again on the same database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources

from django.db import transaction

from preau.activation.selectors import charter_current
from preau.activation.services import charter_version_create, charter_version_publish
from preau.directory.models import Account, Establishment, Membership
from preau.directory.services import establishment_create, local_admin_set
from preau.directory.transitions import account_activate, account_reprovision
from preau.portal.services import demo_service_register
from preau.provisioning.imports import ImportReport, import_run
from preau.provisioning.services import activation_code_issue

DEMO_UAI = "0693999X"
DEMO_NAME = "Collège Jean Moulin (démonstration)"
# Shown on the terminal by `preau demo`; a demo database is never a production one.
DEMO_PASSWORD = "Demo-Preau-2026!"  # noqa: S105
OPERATOR_LOGIN = "operateur"
DEMO_FILES = (("students", "students.csv"), ("guardians", "guardians.csv"), ("staff", "staff.csv"))


@dataclass
class DemoCredentials:
    establishment: Establishment
    admin_login: str
    operator_login: str
    password: str
    activation_codes: list[tuple[str, str, str]] = field(default_factory=list)  # login, who, code
    reports: list[ImportReport] = field(default_factory=list)


def _demo_file(name: str) -> bytes:
    return resources.files("preau.provisioning").joinpath("demo_data", name).read_bytes()


def demo_load(*, students: int = 2, guardians: int = 1) -> DemoCredentials:
    """Create (or find) the demo school, import its people, and prepare sign-in credentials."""
    establishment = Establishment.objects.filter(uai=DEMO_UAI).first()
    if establishment is None:
        establishment = establishment_create(
            actor=None,
            uai=DEMO_UAI,
            name=DEMO_NAME,
            kind=Establishment.Kind.COLLEGE,
            academy="Lyon",
            postal_code="69003",
            city="Lyon",
        )
    reports = [
        import_run(
            actor=None,
            establishment=establishment,
            kind=kind,
            data=_demo_file(filename),
            filename=filename,
        )
        for kind, filename in DEMO_FILES
    ]
    with transaction.atomic():
        admin = _demo_admin(establishment)
        _demo_operator()
        _demo_charter()
    # The example CAS service (python -m examples.vie_scolaire, on 127.0.0.1:8001).
    demo_service_register()
    credentials = DemoCredentials(
        establishment=establishment,
        admin_login=admin.login,
        operator_login=OPERATOR_LOGIN,
        password=DEMO_PASSWORD,
        reports=reports,
    )
    for profile, label, count in (
        (Membership.Profile.STUDENT, "élève", students),
        (Membership.Profile.GUARDIAN, "responsable", guardians),
    ):
        pending = Account.objects.filter(
            state=Account.State.PROVISIONED,
            memberships__establishment=establishment,
            memberships__profile=profile,
        ).order_by("login")[:count]
        for account in pending:
            code = activation_code_issue(actor=None, account=account, establishment=establishment)
            credentials.activation_codes.append((account.login, label, code))
    return credentials


def _demo_admin(establishment: Establishment) -> Account:
    """The school's secretary (first non-teaching staff member) becomes its local administrator."""
    membership = (
        Membership.objects.filter(establishment=establishment, profile=Membership.Profile.STAFF)
        .select_related("account")
        .order_by("account__login")
        .first()
    )
    if membership is None:
        raise RuntimeError("The demo staff file has no non-teaching staff member.")
    admin = membership.account
    if admin.state != Account.State.ACTIVE or not admin.has_usable_password():
        if admin.state != Account.State.PROVISIONED:
            account_reprovision(actor=None, account=admin, establishment=establishment)
        account_activate(actor=None, account=admin)
        admin.set_password(DEMO_PASSWORD)
        admin.save(update_fields=["password", "updated_at"])
    local_admin_set(actor=None, account=admin, establishment=establishment)
    return admin


DEMO_CHARTER = """Cette charte fixe les règles d'utilisation de l'espace numérique de travail (ENT)
de l'établissement.

L'ENT est réservé aux activités scolaires et éducatives. Chaque utilisateur est responsable de son
identifiant et de son mot de passe : il ne les communique à personne.

Les échanges respectent les personnes : pas de propos injurieux, diffamatoires ou discriminatoires,
pas de publication de l'image d'autrui sans son accord.

Les données personnelles sont traitées par l'établissement pour le fonctionnement de l'ENT,
conformément au RGPD ; chacun peut exercer ses droits auprès du chef d'établissement."""


def _demo_charter() -> None:
    """Publish a first charter so that the demo's first connections ask for its acceptance."""
    if charter_current() is None:
        version = charter_version_create(
            actor=None, title="Charte d'utilisation de l'ENT", body=DEMO_CHARTER
        )
        charter_version_publish(actor=None, version=version)


def _demo_operator() -> Account:
    operator = Account.objects.filter(login=OPERATOR_LOGIN).first()
    if operator is None:
        operator = Account.objects.create_superuser(
            OPERATOR_LOGIN, DEMO_PASSWORD, last_name="ENT", first_name="Opérateur"
        )
    return operator
