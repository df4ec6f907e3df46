"""The Django admin serves the operator (administrateur ENT): establishments only."""

from django.contrib import admin

from preau.directory.models import Establishment


@admin.register(Establishment)
class EstablishmentAdmin(admin.ModelAdmin):
    list_display = ("uai", "name", "kind", "authority", "postal_code", "city")
    list_filter = ("kind", "authority")
    search_fields = ("uai", "name", "city")
