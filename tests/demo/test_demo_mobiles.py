"""The demo's whole population against the one rule for mobile numbers (preau.notify.phones):
every guardian's stored mobile passes it, and the first connection's contact step takes each
pre-filled value as it is (issue 12: 56 of the demo's numbers used to be refused there)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from preau.activation.views import _contact_form
from preau.demo.services import DEMO_UAI, demo_load
from preau.directory.models import Account, Membership
from preau.notify.phones import mobile_e164, mobile_is_valid
from preau.signin.forms import ContactForm

pytestmark = pytest.mark.django_db


def test_every_demo_guardians_mobile_passes_the_rule_and_the_contact_step_takes_it() -> None:
    credentials = demo_load(students=0, guardians=0)
    assert all(report.written and not report.problems for report in credentials.reports)
    guardians = list(
        Account.objects.filter(
            memberships__establishment__uai=DEMO_UAI,
            memberships__profile=Membership.Profile.GUARDIAN,
        )
        .exclude(mobile="")
        .distinct()
    )
    assert len(guardians) > 200  # the whole population, not a sample
    factory = RequestFactory()
    for guardian in guardians:
        assert mobile_is_valid(guardian.mobile), guardian.mobile
        assert mobile_e164(guardian.mobile) == guardian.mobile  # stored as the rule writes it
        # The page as the guardian opens it: the number is there, as people write it...
        page = _contact_form(factory.get("/premiere-connexion/coordonnees"), guardian, False)
        prefilled = page["mobile"].value()
        assert prefilled and prefilled.startswith("0"), (guardian.login, prefilled)
        # ...and sent back untouched, it is accepted as the same number.
        sent = factory.post("/premiere-connexion/coordonnees", {"mobile": prefilled})
        form = _contact_form(sent, guardian, False)
        assert form.is_valid(), (guardian.login, prefilled, form.errors)
        assert form.cleaned_data["mobile"] == guardian.mobile


def test_the_demo_files_mobiles_are_all_in_service() -> None:
    """The generator (bench/population.py) draws only numbers the rule accepts."""
    from bench.population import demo_school

    school, _staff = demo_school()
    numbers = {guardian.mobile for _student, guardian in school.links if guardian.mobile}
    assert len(numbers) > 200
    assert [n for n in numbers if not mobile_is_valid(n)] == []
    assert ContactForm(data={"mobile": "07 49 05 30 04"}).is_valid()
