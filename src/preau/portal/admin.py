"""The operator's pages for the registry (Django admin at /operateur/): categories, services
and their addresses (patterns are checked when saved, see preau.portal.patterns); and the
footer's pages (legal notice, accessibility statement, personal data, help)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from preau.directory.models import Membership
from preau.portal.models import Category, Service, ServicePattern, SitePage
from preau.portal.selectors import site_page_default_text
from preau.portal.services import site_page_save


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "order")
    list_editable = ("order",)


class ServicePatternInline(admin.TabularInline):
    model = ServicePattern
    extra = 1


class ServiceAdminForm(forms.ModelForm):
    allowed_profiles = forms.MultipleChoiceField(
        label=_("profils autorisés"),
        choices=Membership.Profile.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Aucun profil coché : tous les profils."),
    )

    class Meta:
        model = Service
        fields = "__all__"  # noqa: DJ007 - the operator edits every field of a service

    def clean_allowed_profiles(self) -> list[str]:
        return list(self.cleaned_data.get("allowed_profiles") or [])


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    form = ServiceAdminForm
    list_display = ("name", "category", "protocol", "attribute_preset", "is_active", "order")
    list_filter = ("protocol", "category", "is_active")
    search_fields = ("name", "slug", "patterns__value")
    prepopulated_fields = {"slug": ("name",)}  # noqa: RUF012
    filter_horizontal = ("establishments",)
    inlines = (ServicePatternInline,)
    fieldsets = (
        (None, {"fields": ("name", "slug", "category", "icon", "description", "order")}),
        (_("Accès"), {"fields": ("protocol", "launch_url", "is_active")}),
        (_("Qui peut l'ouvrir"), {"fields": ("allowed_profiles", "establishments")}),
        (
            _("CAS"),
            {"fields": ("attribute_preset", "single_logout", "proxy_allowed")},
        ),
    )

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("category")


@admin.register(SitePage)
class SitePageAdmin(admin.ModelAdmin):
    """The footer's pages. A page not written yet shows its default text; adding it starts
    from that text (``?kind=accessibilite`` on the add page), to adapt rather than retype."""

    list_display = ("__str__", "title", "conformity", "updated_at")
    fields = ("kind", "title", "body", "conformity")

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        return ("kind",) if obj is not None else ()

    def get_changeform_initial_data(self, request: Any) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        kind = initial.get("kind")
        if kind in SitePage.Kind.values and not initial.get("body"):
            initial["body"] = site_page_default_text(kind=str(kind))
        return initial

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        site_page_save(actor=request.user, page=obj, request=request)
