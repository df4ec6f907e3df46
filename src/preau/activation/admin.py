"""The operator's charter: write a draft, read it, publish it (everyone accepts it at their next
page). Published versions are read-only: the text someone accepted is the text kept."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from preau.activation.models import CharterVersion
from preau.activation.services import (
    charter_version_create,
    charter_version_publish,
    charter_version_update,
)
from preau.directory.models import Account


def _operator(request: HttpRequest) -> Account | None:
    return request.user if isinstance(request.user, Account) else None


@admin.register(CharterVersion)
class CharterVersionAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "created_at", "published_at", "acceptance_count")
    ordering = ("-number",)
    fields = ("title", "body")
    actions = ("publish",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CharterVersion]:
        return super().get_queryset(request).annotate(acceptance_total=Count("acceptances"))

    @admin.display(description=_("acceptations"))
    def acceptance_count(self, obj: Any) -> int:
        return int(getattr(obj, "acceptance_total", 0))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.published_at is not None:
            return ("number", "title", "body", "created_at", "published_at")
        return ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.published_at is not None:
            return ("number", "title", "body", "created_at", "published_at")
        return ("title", "body")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or obj.published_at is None

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change and obj.published_at is not None:
            return  # frozen: nothing to save
        actor = _operator(request)
        if change:
            saved = charter_version_update(
                actor=actor,
                version=obj,
                title=obj.title,
                body=obj.body,
                request=request,
            )
        else:
            saved = charter_version_create(
                actor=actor,
                title=obj.title,
                body=obj.body,
                request=request,
            )
        obj.pk = saved.pk
        obj.number = saved.number
        obj.created_at = saved.created_at

    @admin.action(description=_("Publier la version choisie"))
    def publish(self, request: HttpRequest, queryset: QuerySet[CharterVersion]) -> None:
        published = 0
        for version in queryset.order_by("number"):
            try:
                if charter_version_publish(
                    actor=_operator(request), version=version, request=request
                ):
                    published += 1
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)
        if published:
            self.message_user(
                request,
                ngettext(
                    "%(count)d version publiée : chacun l'acceptera à sa prochaine connexion.",
                    "%(count)d versions publiées : chacun acceptera la dernière à sa prochaine "
                    "connexion.",
                    published,
                )
                % {"count": published},
                messages.SUCCESS,
            )
