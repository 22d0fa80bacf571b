from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from integration.models import ProviderOrganisation, Team, User


@admin.register(User)
class AppUserAdmin(UserAdmin):
    list_display = [
        "username",
        "first_name",
        "last_name",
        "team",
        "provider_organisation",
        "is_active",
    ]
    list_filter = ["groups", "team", "is_active"]
    fieldsets = [
        *UserAdmin.fieldsets,
        (_("Team or organisation"), {"fields": ["team", "provider_organisation"]}),
    ]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]


@admin.register(ProviderOrganisation)
class ProviderOrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "active"]
    list_filter = ["kind", "active"]
