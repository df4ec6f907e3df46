"""The operator's read-only view of recovery: help requests of every school (each school
handles its own in the console), and what became of the "forgotten" requests."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from preau.recovery.models import HelpRequest, RecoveryRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HelpRequest)
class HelpRequestAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "establishment",
        "login",
        "reason",
        "status",
        "delivery",
        "handled_by",
    )
    list_filter = ("status", "reason", "delivery")
    search_fields = ("login", "last_name", "establishment__uai", "establishment__name")
    list_select_related = ("establishment", "handled_by")
    date_hierarchy = "created_at"


@admin.register(RecoveryRequest)
class RecoveryRequestAdmin(ReadOnlyAdmin):
    # What was typed is never shown (it is cleared once processed anyway).
    list_display = ("created_at", "kind", "ip", "processed_at", "outcome")
    list_filter = ("kind", "outcome")
    fields = ("kind", "ip", "created_at", "processed_at", "outcome")
    date_hierarchy = "created_at"
