from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MobileConfig(AppConfig):
    name = "preau.mobile"
    label = "mobile"
    verbose_name = _("Application mobile")

    def ready(self) -> None:
        # Devices die with the account's other ways in (directory.access_revoked).
        from preau.mobile import receivers  # noqa: F401

    def lifecycle_purge(self, *, batch_size: int, dry_run: bool) -> Any:
        """The mobile rows ``preau lifecycle`` deletes (preau.mobile.services.mobile_rows_purge):
        offered through the app registry, as lifecycle and mobile are sibling apps that do not
        import each other (docs/architecture.md)."""
        from preau.mobile.services import mobile_rows_purge

        return mobile_rows_purge(batch_size=batch_size, dry_run=dry_run)
