"""The service registry: patterns checked when saved (French messages), matching that no
pattern can widen, the per-process snapshot kept fresh, and the operator's admin pages."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from preau.directory.models import Account
from preau.portal.models import Category, Service, ServicePattern
from preau.portal.patterns import pattern_matches
from preau.portal.registry import registry_match
from tests.sso.conftest import register

pytestmark = pytest.mark.django_db


def pattern(kind: str, value: str) -> ServicePattern:
    service = register("Essai", slug="essai")
    return ServicePattern(service=service, kind=kind, value=value)


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("regex", "^https://pronote\\.fr/(", "Cette expression régulière est invalide"),
        ("regex", ".*", "doit commencer par ^https://"),
        ("regex", "^https://pronote.fr/.*", "doit commencer par ^https://"),
        ("regex", "^https?://pronote\\.fr/.*", "doit commencer par ^https://"),
        ("prefix", "https://pronote.fr", "Terminez le nom du serveur par une barre oblique"),
        ("prefix", "pronote.fr/", "commence par https://"),
        ("exact", "/pronote/", "adresse complète"),
        ("exact", "https://user@pronote.fr/", "adresse complète"),
        ("exact", "https://pronote.fr/ x", "espace"),
        ("exact", "", "Saisissez une adresse"),
    ],
)
def test_a_bad_pattern_is_refused_with_a_french_message(
    kind: str, value: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        pattern(kind, value).full_clean()
    assert any(message in m for m in caught.value.message_dict["value"]), caught.value


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("regex", "^https://pronote\\.fr/.*"),
        ("regex", "^https://[a-z0-9]+\\.index-education\\.net/pronote/.*"),
        ("prefix", "https://pronote.fr/"),
        ("exact", "https://pronote.fr/pronote/eleve.html"),
    ],
)
def test_good_patterns_are_accepted(kind: str, value: str) -> None:
    if value.startswith("^https://["):
        # A host that is itself a pattern cannot be pinned: refused too.
        with pytest.raises(ValidationError):
            pattern(kind, value).full_clean()
        return
    pattern(kind, value).full_clean()


def test_an_alternation_cannot_widen_a_regular_expression() -> None:
    value = "^https://pronote\\.fr/|.*"
    assert pattern_matches("regex", value, "https://pronote.fr/x")
    assert not pattern_matches("regex", value, "https://evil.example/")
    assert not pattern_matches(
        "regex", "^https://pronote\\.fr/.*", "https://pronote.fr.evil.example/"
    )


def test_prefix_and_exact_matching() -> None:
    assert pattern_matches("prefix", "https://a.fr/", "https://a.fr/x?y=1")
    assert not pattern_matches("prefix", "https://a.fr/", "https://a.fr.evil.example/")
    assert pattern_matches("exact", "https://a.fr/x", "https://a.fr/x")
    assert not pattern_matches("exact", "https://a.fr/x", "https://a.fr/x?y")


def test_the_registry_sees_committed_changes_at_once(
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert registry_match("https://new.test/app") is None
    with django_capture_on_commit_callbacks(execute=True):
        service = register("Nouveau", ("prefix", "https://new.test/"))
    assert registry_match("https://new.test/app").slug == "nouveau"  # type: ignore[union-attr]
    with django_capture_on_commit_callbacks(execute=True):
        service.is_active = False
        service.save()
    assert registry_match("https://new.test/app") is None
    with django_capture_on_commit_callbacks(execute=True):
        service.is_active = True
        service.save()
        ServicePattern.objects.filter(service=service).delete()
    assert registry_match("https://new.test/app") is None


def test_other_processes_reload_after_the_ttl(settings: Any) -> None:
    """With a local-memory cache another process never sees the bump: the TTL bounds its delay."""
    import time_machine

    from preau.portal import registry

    registry.registry_services()
    service = Service.objects.create(
        name="Nouveau", slug="nouveau", category=Category.objects.get_or_create(name="Scolarité")[0]
    )
    ServicePattern.objects.create(service=service, kind="prefix", value="https://new.test/")
    # Not committed, so no bump: this process still has its snapshot, as another would.
    assert registry_match("https://new.test/app") is None
    with time_machine.travel(time.time() + 11, tick=False):
        assert registry_match("https://new.test/app") is not None


def test_a_launch_address_takes_the_uai(establishment: Any) -> None:
    service = Service(
        name="PRONOTE",
        slug="pronote",
        category=Category.objects.get_or_create(name="Scolarité")[0],
        launch_url="https://{uai}.index-education.net/pronote/",
    )
    service.full_clean()
    assert service.launch_url_for(establishment) == "https://0750654d.index-education.net/pronote/"
    service.launch_url = "https://{etab}.example/"
    with pytest.raises(ValidationError, match="uai"):
        service.full_clean()


def test_the_operator_registers_a_service_in_the_admin(client: Client) -> None:
    operator = Account.objects.create_superuser("operateur", "x", last_name="ENT", first_name="Op")
    client.force_login(operator)
    category = Category.objects.get_or_create(name="Scolarité")[0]
    form = {
        "name": "Cahier de textes",
        "slug": "cahier",
        "category": category.pk,
        "icon": "fr-icon-book-2-line",
        "description": "Le travail à faire",
        "order": 10,
        "protocol": "cas",
        "launch_url": "https://cahier.test/",
        "is_active": "on",
        "allowed_profiles": ["eleve", "enseignant"],
        "attribute_preset": "generic",
        "single_logout": "on",
        "patterns-TOTAL_FORMS": "1",
        "patterns-INITIAL_FORMS": "0",
        "patterns-MIN_NUM_FORMS": "0",
        "patterns-MAX_NUM_FORMS": "1000",
        "patterns-0-kind": "regex",
        "patterns-0-value": ".*",
    }
    refused = client.post("/operateur/portal/service/add/", form)
    assert refused.status_code == 200
    assert "doit commencer par ^https://" in refused.content.decode()
    assert not Service.objects.filter(slug="cahier").exists()
    form["patterns-0-value"] = "^https://cahier\\.test/.*"
    saved = client.post("/operateur/portal/service/add/", form)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    service = Service.objects.get(slug="cahier")
    assert service.allowed_profiles == ["eleve", "enseignant"]
    assert registry_match("https://cahier.test/devoirs").slug == "cahier"  # type: ignore[union-attr]
    assert client.get("/operateur/portal/service/").status_code == 200
