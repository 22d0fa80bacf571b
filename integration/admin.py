"""The administrator's site: users, teams and provider organisations.

An administrator (staff, not superuser) runs the daily account work: new
users, roles, teams, deactivation. What would let it take more than that is
closed here:

- it changes no superuser, no other staff user and not itself, so it can
  neither take over an account that holds more rights nor raise its own;
- it sets no one's password: it sends a reset link to the user's e-mail, so
  no one but the user knows a password, and the access log never records an
  administrator's reads under a caseworker's name;
- a user holds at most one role group;
- every change to a user or a group is written to the access log with its
  old and new values (``integration.services.account_changes``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from integration.models import ProviderOrganisation, Team, User
from integration.services import account_changes


def _one_role(groups):
    if groups is not None and len(groups) > 1:
        raise ValidationError(_("A user has one role: choose at most one group."))
    return groups


class AccountChangeForm(UserChangeForm):
    def clean_groups(self):
        return _one_role(self.cleaned_data.get("groups"))


class InvitationForm(forms.ModelForm):
    """A new user without a password: the reset link lets them choose one."""

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = _("The link to choose a password is sent here.")

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


class _LoggedChangeAdmin:
    """Logs what an admin page changed: the row as it was before the save, and
    as it is once save_related has saved its many-to-many fields too."""

    def snapshot(self, obj) -> dict:
        raise NotImplementedError

    def log_change_of(self, request, obj, before: dict, after: dict) -> None:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        before = self.snapshot(type(obj).objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        request._admin_before = before

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_admin_before", {})
        self.log_change_of(request, form.instance, before, self.snapshot(form.instance))


@admin.register(User)
class AppUserAdmin(_LoggedChangeAdmin, UserAdmin):
    form = AccountChangeForm
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
    actions = ["send_password_reset", "unlock_sign_in"]

    def _above_administrator(self, request, obj) -> bool:
        """A user the signed-in non-superuser may look at but not change."""
        if obj is None or request.user.is_superuser:
            return False
        return obj.is_superuser or obj.is_staff or obj.pk == request.user.pk

    def has_change_permission(self, request, obj=None):
        if self._above_administrator(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self._above_administrator(request, obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # A role is a group. An administrator who could tick "staff",
            # "superuser" or hand out single permissions could give anyone
            # rights no role has, such as the manager's report texts.
            fields += ["is_staff", "is_superuser", "user_permissions"]
        return fields

    def get_fieldsets(self, request, obj=None):
        if obj is None and not request.user.is_superuser:
            return [(None, {"fields": InvitationForm.Meta.fields})]
        return super().get_fieldsets(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None and not request.user.is_superuser:
            kwargs["form"] = InvitationForm
            kwargs["fields"] = InvitationForm.Meta.fields
            return admin.ModelAdmin.get_form(self, request, obj, **kwargs)
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and not request.user.is_superuser and "password" in form.base_fields:
            form.base_fields["password"].help_text = _(
                "Passwords are not stored in readable form. Use the action "
                "“Send a password reset link” on the user list."
            )
        return form

    def user_change_password(self, request, id, form_url=""):
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def snapshot(self, obj) -> dict:
        return account_changes.user_snapshot(obj)

    def log_change_of(self, request, obj, before: dict, after: dict) -> None:
        account_changes.user_changed(actor=request.user, user=obj, before=before, after=after)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        if not change and not user.has_usable_password():
            self._send_reset(request, user)

    def delete_model(self, request, obj):
        account_changes.user_deleted(actor=request.user, user=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            account_changes.user_deleted(actor=request.user, user=user)
        super().delete_queryset(request, queryset)

    def _send_reset(self, request, user) -> None:
        if account_changes.password_reset_send(actor=request.user, user=user, request=request):
            self.message_user(request, _("A password reset link was sent to %s.") % user.email)
        else:
            self.message_user(
                request,
                _("%s has no e-mail address: no reset link was sent.") % user.get_username(),
                messages.WARNING,
            )

    @admin.action(description=_("Send a password reset link"), permissions=["change"])
    def send_password_reset(self, request, queryset):
        for user in queryset:
            if self._above_administrator(request, user):
                self.message_user(
                    request,
                    _("You may not reset the password of %s.") % user.get_username(),
                    messages.ERROR,
                )
                continue
            self._send_reset(request, user)

    @admin.action(description=_("Unlock sign-in"), permissions=["change"])
    def unlock_sign_in(self, request, queryset):
        for user in queryset:
            if self._above_administrator(request, user):
                continue
            if account_changes.sign_in_unlock(actor=request.user, user=user):
                self.message_user(request, _("%s can sign in again.") % user.get_username())


admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(_LoggedChangeAdmin, GroupAdmin):
    """Only a superuser reaches this page; what it changes is logged."""

    def snapshot(self, obj) -> dict:
        return account_changes.group_snapshot(obj)

    def log_change_of(self, request, obj, before: dict, after: dict) -> None:
        account_changes.group_changed(actor=request.user, group=obj, before=before, after=after)

    def delete_model(self, request, obj):
        account_changes.group_changed(
            actor=request.user, group=obj, before=account_changes.group_snapshot(obj), after={}
        )
        super().delete_model(request, obj)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]


@admin.register(ProviderOrganisation)
class ProviderOrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "active"]
    list_filter = ["kind", "active"]
