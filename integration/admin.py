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

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # A role is a group. An administrator who could tick "superuser" or
            # hand out single permissions could give anyone, themselves included,
            # rights no role has, such as the manager's report texts.
            fields += ["is_superuser", "user_permissions"]
        return fields


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]


@admin.register(ProviderOrganisation)
class ProviderOrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "active"]
    list_filter = ["kind", "active"]
