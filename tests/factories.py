"""factory_boy factories. Every CPR number is a replacement number (day + 60)."""

import datetime as dt
import itertools

import factory
from django.contrib.auth.models import Group

from integration import services
from integration.models import (
    DanishCourse,
    LadderPlacement,
    LadderStep,
    ProviderKind,
    ProviderOrganisation,
    ResidenceBasis,
    Team,
    User,
)

_serial = itertools.count(1000)


def replacement_cpr(birth: dt.date = dt.date(1990, 1, 1), female: bool = True) -> str:
    """A unique, valid replacement CPR number for a birth date."""
    n = next(_serial)
    seq = n % 100 * 10 + (0 if female else 1)
    # The 7th digit gives the century; cycle through the digits valid for it.
    digits = "0123" if birth.year < 2000 else "456789"
    century_digit = digits[n // 100 % len(digits)]
    return f"{birth.day + 60:02d}{birth.month:02d}{birth.year % 100:02d}{century_digit}{seq:03d}"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Team {n}")


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderOrganisation

    name = factory.Sequence(lambda n: f"Provider {n}")
    kind = ProviderKind.WORKPLACE


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
            if extracted == "administrator":
                self.is_staff = True
                self.is_superuser = False
                self.save(update_fields=["is_staff"])


def make_case(
    *,
    team,
    caseworker=None,
    arrival=dt.date(2024, 1, 10),
    actor=None,
    birth=dt.date(1990, 1, 1),
    residence_basis=ResidenceBasis.REFUGEE,
    **kwargs,
):
    """A case made through the service, as the app makes them."""
    return services.case_create(
        actor=actor,
        team=team,
        caseworker=caseworker,
        cpr=kwargs.pop("cpr", None) or replacement_cpr(birth),
        first_name=kwargs.pop("first_name", "Amal"),
        last_name=kwargs.pop("last_name", f"Test{next(_serial)}"),
        nationality=kwargs.pop("nationality", "SY"),
        residence_basis=residence_basis,
        arrival_date=arrival,
        **kwargs,
    )


def place(case, *, step=LadderStep.INTERNSHIP_PRIVATE, provider=None, start, end=None):
    return services.fact_save(
        actor=None,
        case=case,
        fact=LadderPlacement(step=step, provider=provider, start_date=start, end_date=end),
    )


def enrol(case, *, provider, start, end=None, module="DU2 M1"):
    return services.fact_save(
        actor=None,
        case=case,
        fact=DanishCourse(provider=provider, module=module, start_date=start, end_date=end),
    )
