"""Any change of the registry (admin, shell, migration) invalidates every process's snapshot
once its transaction commits: see :mod:`preau.portal.registry`."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from preau.portal.models import Category, Service, ServicePattern
from preau.portal.registry import registry_bump


@receiver(post_save, sender=Service, dispatch_uid="portal.service.saved")
@receiver(post_delete, sender=Service, dispatch_uid="portal.service.deleted")
@receiver(post_save, sender=ServicePattern, dispatch_uid="portal.pattern.saved")
@receiver(post_delete, sender=ServicePattern, dispatch_uid="portal.pattern.deleted")
@receiver(post_save, sender=Category, dispatch_uid="portal.category.saved")
@receiver(m2m_changed, sender=Service.establishments.through, dispatch_uid="portal.service.m2m")
def _registry_changed(sender: Any, **kwargs: Any) -> None:
    transaction.on_commit(registry_bump)
