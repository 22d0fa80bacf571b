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
from progression.models import Item, Questionnaire

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


def item_texts(number: int, languages=("da",)) -> dict:
    """Plain texts for item ``number`` in each language, marked with both."""
    return {
        code: {
            "label": f"Item {number}",
            "question": f"Question {number}?" if code == "da" else f"Question {number} ({code})?",
            "scale": list("12345"),
        }
        for code in languages
    }


class QuestionnaireFactory(factory.django.DjangoModelFactory):
    """A published questionnaire with its 13 items.

    ``QuestionnaireFactory(items__texts=f)`` gives item ``n`` the texts
    ``f(n)``; ``items=False`` makes a version without items.
    """

    class Meta:
        model = Questionnaire
        skip_postgeneration_save = True

    version = factory.Sequence(lambda n: 100 + n)
    status = Questionnaire.Status.PUBLISHED

    @factory.post_generation
    def items(self, create, extracted, texts=item_texts, **kwargs):
        if extracted is False or not create:
            return
        Item.objects.bulk_create(
            Item(questionnaire=self, number=n, texts=texts(n)) for n in range(1, 14)
        )


def published_questionnaire() -> Questionnaire:
    """The questionnaire rounds are made with: the shipped version 1 (its data
    migration made it; a transactional test that emptied the tables gets it
    back from the fixture file)."""
    from django.core.management import call_command

    current = Questionnaire.objects.filter(status=Questionnaire.Status.PUBLISHED).first()
    if current is None:
        call_command("loaddata", "default_questionnaire", verbosity=0)
        current = Questionnaire.objects.get(status=Questionnaire.Status.PUBLISHED)
    return current
