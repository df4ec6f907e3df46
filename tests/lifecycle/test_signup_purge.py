"""Parents' sign-ups by SMS keep a typed number and a client address: ``preau lifecycle``
deletes them SIGNUP_RETENTION_DAYS after they were asked for, finished or not."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from preau.activation.models import SignUp
from preau.activation.signup import handle_digest, handle_new

pytestmark = pytest.mark.django_db


def _signup(days_ago: int) -> SignUp:
    return SignUp.objects.create(
        handle_digest=handle_digest(handle_new()),
        mobile="+33611223344",
        ip="203.0.113.7",
        created_at=timezone.now() - timedelta(days=days_ago),
    )


def test_old_sign_ups_are_deleted_and_recent_ones_kept() -> None:
    old, recent = _signup(31), _signup(29)
    out = StringIO()
    call_command("lifecycle", "--dry-run", stdout=out)
    assert "Inscriptions par SMS qui seraient effacées (plus de 30 jours) : 1" in out.getvalue()
    assert SignUp.objects.count() == 2
    out = StringIO()
    call_command("lifecycle", stdout=out)
    assert "Inscriptions par SMS effacées (plus de 30 jours) : 1" in out.getvalue()
    assert list(SignUp.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not SignUp.objects.filter(pk=old.pk).exists()
