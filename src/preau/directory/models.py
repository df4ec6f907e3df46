"""The annuaire: establishments, accounts, memberships, classes and guardianships.

One person is one :class:`Account`, whatever the number of profiles and establishments; each
(establishment, profile) they hold is a :class:`Membership`. A guardian of three children in two
schools is one account with two ``responsable`` memberships and three :class:`Guardianship` rows.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, cast

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from preau.directory.validators import validate_ine, validate_uai


class Establishment(models.Model):
    class Kind(models.TextChoices):
        ECOLE = "ecole", _("École")
        COLLEGE = "college", _("Collège")
        LYCEE = "lycee", _("Lycée")
        LYCEE_PRO = "lycee_pro", _("Lycée professionnel")
        LYCEE_AGRICOLE = "lycee_agricole", _("Lycée agricole")
        CFA = "cfa", _("CFA")
        EREA = "erea", _("EREA")
        OTHER = "autre", _("Autre")

    class Authority(models.TextChoices):
        ACADEMIE = "academie", _("Académie (Éducation nationale)")
        AGRICOLE = "agricole", _("Enseignement agricole")

    uai = models.CharField(_("UAI"), max_length=8, unique=True, validators=[validate_uai])
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.COLLEGE)
    authority = models.CharField(
        _("tutelle"), max_length=20, choices=Authority.choices, default=Authority.ACADEMIE
    )
    academy = models.CharField(_("académie"), max_length=100, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("commune"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("établissement")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.uai})"

    def clean(self) -> None:
        self.uai = self.uai.strip().upper()


class AccountManager(BaseUserManager["Account"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> Account:
        return self.get(login=(username or "").strip().lower())

    def create_user(self, login: str, password: str | None = None, **fields: Any) -> Account:
        account = self.model(login=login.strip().lower(), **fields)
        if password:
            account.set_password(password)
        else:
            account.set_unusable_password()
        account.save(using=self._db)
        return account

    def create_superuser(self, login: str, password: str | None = None, **fields: Any) -> Account:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        fields.setdefault("state", Account.State.ACTIVE)
        fields.setdefault("activated_at", timezone.now())
        return self.create_user(login, password, **fields)


class Account(AbstractBaseUser, PermissionsMixin):
    """One person. ``login`` is generated once (``prenom.nom``) and never changes."""

    class State(models.TextChoices):
        PROVISIONED = "provisioned", _("En attente d'activation")
        ACTIVE = "active", _("Activé")
        DEACTIVATED = "deactivated", _("Désactivé")
        # Fused into another account (``merged_into``): see preau.directory.merges.
        MERGED = "merged", _("Fusionné dans un autre compte")

    login = models.CharField(_("identifiant"), max_length=64, unique=True)
    last_name = models.CharField(_("nom"), max_length=150)
    first_name = models.CharField(_("prénom"), max_length=150)
    other_first_names = models.CharField(_("autres prénoms"), max_length=300, blank=True)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    ine = models.CharField(
        _("INE"), max_length=11, null=True, blank=True, unique=True, validators=[validate_ine]
    )
    state = models.CharField(
        _("état"), max_length=12, choices=State.choices, default=State.PROVISIONED, db_index=True
    )
    email = models.EmailField(_("adresse électronique"), blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    mobile = models.CharField(_("téléphone mobile"), max_length=20, blank=True)
    mobile_verified_at = models.DateTimeField(null=True, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    # The activation code itself is never stored: only its keyed digest (see activation_codes).
    activation_code_digest = models.CharField(max_length=64, blank=True, editable=False)
    activation_expires_at = models.DateTimeField(
        _("date limite d'activation"), null=True, blank=True
    )
    activated_at = models.DateTimeField(_("activé le"), null=True, blank=True)
    deactivated_at = models.DateTimeField(_("désactivé le"), null=True, blank=True)
    # The account this one was merged into (state MERGED), see preau.directory.merges.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_accounts",
        verbose_name=_("fusionné dans"),
    )
    # Operators of the whole deployment (Django admin). School staff rights live on Membership.
    is_staff = models.BooleanField(_("administrateur ENT"), default=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    objects: ClassVar[AccountManager] = AccountManager()

    USERNAME_FIELD = "login"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["last_name", "first_name"]

    class Meta:
        verbose_name = _("compte")
        indexes: ClassVar = [
            models.Index(fields=["last_name", "first_name"], name="account_names_idx"),
            # Imports find a returning guardian or staff member by e-mail or mobile (stored
            # normalised: lower-case e-mail, E.164 mobile), across all establishments.
            models.Index(fields=["email"], name="account_email_idx"),
            models.Index(fields=["mobile"], name="account_mobile_idx"),
        ]

    def __str__(self) -> str:
        return self.login

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """Django's auth reads this: a deactivated (or merged) account can't hold a session."""
        return self.state not in (self.State.DEACTIVATED, self.State.MERGED)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name


class SchoolClass(models.Model):
    """A class (``3A``) or group of an establishment for one school year."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="classes"
    )
    school_year = models.PositiveSmallIntegerField(_("année scolaire"))
    code = models.CharField(_("classe"), max_length=50)
    label = models.CharField(_("libellé"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("classe")
        ordering = ["code"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["establishment", "school_year", "code"], name="class_unique_code"
            )
        ]

    def __str__(self) -> str:
        return self.code


def current_q(prefix: str = "", today: date | None = None) -> Q:
    """THE "current" rule for rows with an ``end_date`` (memberships, guardianships): no end
    date, or one still in the future. ``prefix`` reaches them through a relation
    (``current_q("membership__")``); :meth:`CurrentQuerySet.current` applies it directly."""
    day = timezone.localdate() if today is None else today
    return Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gt": day})


class CurrentQuerySet(models.QuerySet[Any]):
    """Rows (memberships, guardianships) with an ``end_date``: ``current()`` keeps those that
    have not ended (:func:`current_q`)."""

    def current(self) -> CurrentQuerySet:
        return self.filter(current_q())


class Membership(models.Model):
    """One profile of one account in one establishment."""

    class Profile(models.TextChoices):
        STUDENT = "eleve", _("Élève")
        GUARDIAN = "responsable", _("Responsable légal")
        TEACHER = "enseignant", _("Enseignant")
        STAFF = "personnel", _("Personnel non enseignant")
        GUEST = "invite", _("Invité")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="memberships"
    )
    profile = models.CharField(_("profil"), max_length=12, choices=Profile.choices)
    school_year = models.PositiveSmallIntegerField(_("année scolaire"))
    classes = models.ManyToManyField(SchoolClass, blank=True, related_name="memberships")
    function = models.CharField(_("fonction"), max_length=150, blank=True)
    # The person's id in the establishment's export (student number, staff id…), when it has one.
    source_id = models.CharField(_("identifiant source"), max_length=64, blank=True)
    # The identifier this establishment's CAS services know the person by, when it is not
    # the login: a membership that came from a merged account keeps that account's login, so
    # that the services it used see the same user (see preau.directory.merges).
    service_login = models.CharField(_("identifiant pour les services"), max_length=64, blank=True)
    # An administrateur local manages this establishment from the console.
    is_local_admin = models.BooleanField(_("administrateur local"), default=False)
    start_date = models.DateField(_("début"), default=timezone.localdate)
    end_date = models.DateField(_("fin"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CurrentQuerySet.as_manager()

    class Meta:
        verbose_name = _("rattachement")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["account", "establishment", "profile"], name="membership_unique_profile"
            )
        ]
        indexes: ClassVar = [
            models.Index(
                fields=["establishment", "profile", "source_id"], name="membership_source_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} — {self.get_profile_display()} — {self.establishment.uai}"

    @property
    def is_current(self) -> bool:
        return self.end_date is None or self.end_date > timezone.localdate()


class GuardianshipQuerySet(CurrentQuerySet):
    def confirmed(self) -> GuardianshipQuerySet:
        """Current links the guardian may act on: what services, claims and "Mes portails"
        see of a guardian's children (a link awaiting the guardian's confirmation, frozen or
        refused shows nothing of the child)."""
        return cast(
            GuardianshipQuerySet,
            self.current().filter(confirmation=Guardianship.Confirmation.CONFIRMED),
        )


class Guardianship(models.Model):
    """A guardian (responsable) of a student.

    ``confirmation``: a link the school's files give to a guardian whose account is already
    active (a new school year, a younger sibling, a second school) waits for the guardian to
    confirm the child's birth date (``PENDING``); three wrong dates freeze it (``FROZEN``,
    the school is asked to check); the guardian may say the child is not theirs
    (``REFUSED``). Links present when an account is activated, by the letter or by SMS, are
    ``CONFIRMED`` (the letter or the sign-up proved them).
    """

    class Confirmation(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmé")
        PENDING = "pending", _("À confirmer")
        FROZEN = "frozen", _("Bloqué : date de naissance erronée")
        REFUSED = "refused", _("Refusé par le responsable")

    class Relationship(models.TextChoices):
        MOTHER = "mere", _("Mère")
        FATHER = "pere", _("Père")
        GUARDIAN = "tuteur", _("Tuteur ou tutrice")
        FAMILY = "famille", _("Autre membre de la famille")
        CARER = "aide_sociale", _("Aide sociale à l'enfance")
        OTHER = "autre", _("Autre lien")

    class Responsibility(models.IntegerChoices):
        NONE = 0, _("Sans responsabilité légale")
        LEGAL_1 = 1, _("Responsable légal 1")
        LEGAL_2 = 2, _("Responsable légal 2")

    guardian = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="wards")
    student = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="guardianships")
    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="guardianships"
    )
    relationship = models.CharField(
        _("lien"), max_length=20, choices=Relationship.choices, default=Relationship.OTHER
    )
    legal_responsibility = models.PositiveSmallIntegerField(
        _("responsabilité légale"), choices=Responsibility.choices, default=Responsibility.LEGAL_1
    )
    end_date = models.DateField(_("fin"), null=True, blank=True)
    confirmation = models.CharField(
        _("confirmation"),
        max_length=10,
        choices=Confirmation.choices,
        default=Confirmation.CONFIRMED,
    )
    # Wrong birth dates typed for this child (reset when the link is confirmed).
    confirmation_failures = models.PositiveSmallIntegerField(default=0)
    confirmation_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GuardianshipQuerySet.as_manager()

    class Meta:
        verbose_name = _("responsabilité")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["guardian", "student"], name="guardianship_unique"),
            models.CheckConstraint(
                condition=~Q(guardian=models.F("student")), name="guardianship_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guardian} → {self.student}"


class AccountMerge(models.Model):
    """One merge of ``source`` (B, now MERGED) into ``target`` (A), and what moved: the record
    the operator's undo reads (for ``MERGE_UNDO_DAYS``) and the sign-in's alias (B's login
    signs A in until ``alias_until``). See preau.directory.merges."""

    source = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="merges_from")
    target = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="merges_into")
    source_login = models.CharField(_("identifiant fusionné"), max_length=64)
    target_login = models.CharField(_("identifiant conservé"), max_length=64)
    actor = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # "self" (the person, from Mon compte) or "console" (an administrator, for the person).
    channel = models.CharField(max_length=10)
    # B's state before the merge, and everything that moved (ids, previous values) for undo.
    source_state = models.CharField(max_length=12)
    moved = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    alias_until = models.DateField(_("identifiant utilisable jusqu'au"))
    alias_retired_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("fusion de comptes")
        verbose_name_plural = _("fusions de comptes")
        constraints: ClassVar = [
            # One live merge per merged account (an undone one may be followed by another).
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(undone_at__isnull=True),
                name="account_merge_one_live",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_login} → {self.target_login}"
