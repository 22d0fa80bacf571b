"""Teams, provider organisations and the people who use the system."""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts.access import user_access
from accounts.roles import Role

from .fields import optional_reference


class _KnownByName(models.Model):
    """An organisation with a UUID for its pages, listed and shown by its name."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(_KnownByName):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta(_KnownByName.Meta):
        verbose_name = _("team")
        verbose_name_plural = _("teams")


class ProviderKind(models.TextChoices):
    WORKPLACE = "workplace", _("Workplace")
    LANGUAGE_SCHOOL = "language_school", _("Language school")
    COURSE = "course", _("Course or activity")
    MUNICIPAL = "municipal", _("Municipal team")


class ProviderOrganisation(_KnownByName):
    """A workplace, language school or course that citizens are referred to."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ProviderKind.choices)
    cvr = models.CharField(_("CVR number"), max_length=8, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta(_KnownByName.Meta):
        verbose_name = _("provider organisation")
        verbose_name_plural = _("provider organisations")


class User(AbstractUser):
    """A member of staff or of a provider organisation.

    The role comes from the user's group; a caseworker or manager belongs to a
    team, a provider user to a provider organisation.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    team = optional_reference(Team, verbose_name=_("team"), related_name="members")
    provider_organisation = optional_reference(
        ProviderOrganisation, verbose_name=_("provider organisation"), related_name="members"
    )
    # The subject the municipality's identity provider knows this user by
    # (OpenID Connect ``sub``, SAML NameID); NULL for a local account. Role and
    # team of such a user follow the provider at every sign-in.
    sso_subject = models.CharField(
        _("single sign-on subject"),
        max_length=255,
        unique=True,
        null=True,
        blank=True,
        editable=False,
    )
    # The user's own settings (the "My settings" page): the morning e-mail of
    # deadlines, the day it was last sent (one a day, however often the
    # command runs), and the language of that e-mail.
    deadline_digest = models.BooleanField(
        _("send me the morning e-mail of deadlines"),
        default=True,
        help_text=_(
            "A daily e-mail with the number of overdue deadlines and deadlines due "
            "in the next 7 days on your cases, and a link to your tasks. "
            "It names no citizen."
        ),
    )
    deadline_digest_sent_on = models.DateField(null=True, blank=True, editable=False)
    language = models.CharField(
        _("language of e-mails"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @cached_property
    def role(self) -> str | None:
        """The user's role, or None for a user in no role group."""
        if not self.is_active:
            return None
        if "groups" in getattr(self, "_prefetched_objects_cache", {}):
            names = {group.name for group in self.groups.all()}
        else:
            names = user_access(self).groups
        for role in Role:
            if role.value in names:
                return role.value
        return None

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role else ""
