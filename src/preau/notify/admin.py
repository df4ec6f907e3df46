"""The operator's view of the outbox: what is waiting, what failed and why; send again."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from preau.notify.models import OutboundMessage
from preau.notify.services import outbound_message_requeue


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "channel",
        "recipient",
        "template",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "channel", "template")
    search_fields = ("recipient", "account__login", "idempotency_key")
    date_hierarchy = "created_at"
    list_select_related = ("account",)
    raw_id_fields = ("account",)
    actions = ("requeue",)
    readonly_fields = (
        "channel",
        "recipient",
        "template",
        "subject",
        "body_text",
        "body_html",
        "status",
        "attempts",
        "next_attempt_at",
        "enqueued_at",
        "claimed_at",
        "last_error",
        "idempotency_key",
        "account",
        "created_at",
        "sent_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # messages are written by the services, never by hand

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Renvoyer les messages en échec sélectionnés"))
    def requeue(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        count = 0
        for message in queryset.filter(status=OutboundMessage.Status.FAILED).select_related(
            "account"
        ):
            count += outbound_message_requeue(actor=request.user, message=message)
        self.message_user(
            request,
            ngettext(
                "%(count)d message remis en file d'attente.",
                "%(count)d messages remis en file d'attente.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
