"""The 13-parameter progression measurement.

A measurement is one rater's scores for one citizen on one date, stored as
one row with thirteen small-integer columns (NULL = not answered) and the
rater's index (the mean of items 1–12) computed when it is saved. A round
groups the citizen's, the caseworker's and the provider's measurements of a
date. At 100,000 citizens with 20 rounds that is at most 6 million narrow
rows, and every figure the reports need is an aggregate over indexed columns
of that one table.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.constraints import between
from integration.models import Case, ProviderOrganisation, history_records, user_reference

ITEM_COUNT = 13
INDEX_ITEMS = range(1, 13)  # item 13 is the citizen's self-assessment, not in the index
SCALE = range(1, 6)
SCORE_FIELDS = [f"item_{n}" for n in range(1, ITEM_COUNT + 1)]

# The languages every item is written in; Arabic and Dari/Farsi read right to left.
LANGUAGES = [
    ("da", "Dansk"),
    ("en", "English"),
    ("ar", "العربية"),
    ("ti", "ትግርኛ"),
    ("so", "Soomaali"),
    ("fa", "دری / فارسی"),
]
RTL_LANGUAGES = {"ar", "fa"}


class Questionnaire(models.Model):
    """One version of the 13 items. Published versions are never edited."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    version = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = user_reference()

    class Meta:
        ordering = ["-version"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self) -> str:
        return f"{_('Questionnaire')} v{self.version}"


class Item(models.Model):
    """One of the 13 items of a questionnaire version, in every language.

    ``texts`` maps a language code to ``{"label", "question", "scale"}`` with
    ``scale`` the five step labels for 1–5.
    """

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="items")
    number = models.PositiveSmallIntegerField(_("number"))
    texts = models.JSONField(_("texts"), default=dict)
    # How the caseworker and the provider are asked the item when the
    # citizen's wording would put "you yourself" to them (item 13): their own
    # view of the citizen, in the staff languages, {"da": {"label", "question"}}.
    # Empty: everyone is asked the same.
    staff_texts = models.JSONField(_("wording for staff"), default=dict, blank=True)
    municipal_wording = models.BooleanField(
        _("the municipality's own wording"),
        default=False,
        help_text=_("Unset for the default items an administrator may replace."),
    )

    class Meta:
        ordering = ["number"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "number"], name="item_once"),
            between("number", 1, ITEM_COUNT, name="item_number_1_to_13"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text('label')}"

    def text(self, key: str, language: str = "da"):
        """The text in a language, falling back to Danish."""
        return (self.texts.get(language) or {}).get(key) or self.texts.get("da", {}).get(key, "")

    def staff_text(self, key: str, language: str = "da") -> str:
        """The staff's own-view wording, or "" when the item has none."""
        entry = self.staff_texts.get(language) or self.staff_texts.get("da") or {}
        return entry.get(key, "")

    def clean(self) -> None:
        for code, _name in LANGUAGES:
            entry = self.texts.get(code) or {}
            scale = entry.get("scale") or []
            if not entry.get("label") or not entry.get("question") or len(scale) != len(SCALE):
                raise ValidationError(
                    _("Item %(n)s needs a label, a question and five scale steps in %(lang)s.")
                    % {"n": self.number, "lang": code}
                )


class Rater(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    CASEWORKER = "caseworker", _("Caseworker")
    PROVIDER = "provider", _("Provider")


# The one order of the rater columns on every page, table and chart legend.
RATER_ORDER = [Rater.CITIZEN, Rater.CASEWORKER, Rater.PROVIDER]


class Source(models.TextChoices):
    """How a rater's column came in. The citizen's link and the provider's own
    form are that rater's own input: the caseworker's grid shows them but does
    not change them."""

    GRID = "grid", _("the caseworker's grid")
    LINK = "link", _("the citizen's link")
    PROVIDER = "provider", _("the provider's own form")
    IMPORT = "import", _("an import")


def index_answered_of(scores: dict[int, int | None]) -> int:
    """How many of the index items (1–12) are answered."""
    return sum(1 for n, s in scores.items() if n in INDEX_ITEMS and s is not None)


class Round(models.Model):
    """The measurements of one citizen on one date."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    measured_on = models.DateField(_("date"))
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    complete = models.BooleanField(_("finished"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)
    # The id of the form that created the round: a second submit of the same
    # form finds this round instead of making another.
    submission = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # Looked up by id and case (integration.models.Citizen.history says why).
    history = history_records(no_db_index=["uuid", "questionnaire", "created_by", "submission"])

    class Meta:
        ordering = ["-measured_on"]
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        permissions = [
            ("score_as_provider", "Can score citizens referred to own organisation"),
            ("import_measurements", "Can import measurements"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["case", "measured_on"], name="round_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.measured_on}"


class Measurement(models.Model):
    """One rater's 13 scores in a round; NULL is "not answered"."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="measurements")
    rater = models.CharField(_("rater"), max_length=10, choices=Rater.choices)
    # Copied from the round so that period aggregates need no join.
    measured_on = models.DateField(_("date"))
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(
        ProviderOrganisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_by = user_reference()
    via_link = models.BooleanField(_("answered through a link"), default=False)
    source = models.CharField(
        _("entered through"), max_length=10, choices=Source.choices, default=Source.GRID
    )
    item_1 = models.PositiveSmallIntegerField(null=True, blank=True)
    item_2 = models.PositiveSmallIntegerField(null=True, blank=True)
    item_3 = models.PositiveSmallIntegerField(null=True, blank=True)
    item_4 = models.PositiveSmallIntegerField(null=True, blank=True)
    item_5 = models.PositiveSmallIntegerField(null=True, blank=True)
    item_6 = models.PositiveSmallIntegerField(null=True, blank=True)
    item_7 = models.PositiveSmallIntegerField(null=True, blank=True)
    item_8 = models.PositiveSmallIntegerField(null=True, blank=True)
    item_9 = models.PositiveSmallIntegerField(null=True, blank=True)
    item_10 = models.PositiveSmallIntegerField(null=True, blank=True)
    item_11 = models.PositiveSmallIntegerField(null=True, blank=True)
    item_12 = models.PositiveSmallIntegerField(null=True, blank=True)
    item_13 = models.PositiveSmallIntegerField(null=True, blank=True)
    # Mean of the answered items 1–12; NULL when none of them is answered.
    index = models.FloatField(_("index"), null=True, blank=True, editable=False)
    answered = models.PositiveSmallIntegerField(default=0, editable=False)
    # Answered items among 1–12: the index is shown and reported only from
    # settings.PROGRESSION_MIN_ANSWERED of them.
    index_answered = models.PositiveSmallIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # Looked up by id and round (integration.models.Citizen.history says why).
    history = history_records(no_db_index=["questionnaire", "provider", "entered_by"])

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        constraints = [
            models.UniqueConstraint(fields=["round", "rater"], name="one_measurement_per_rater"),
            *[between(f, 1, 5, or_null=True, name=f"measurement_{f}_1_to_5") for f in SCORE_FIELDS],
        ]
        indexes = [
            models.Index(fields=["rater", "measured_on"], name="measurement_rater_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rater_display()} {self.measured_on}"

    def scores(self) -> dict[int, int | None]:
        return {n: getattr(self, f"item_{n}") for n in range(1, ITEM_COUNT + 1)}

    def set_scores(self, scores: dict[int, int | None]) -> None:
        for n in range(1, ITEM_COUNT + 1):
            setattr(self, f"item_{n}", scores.get(n))
        answered_index = [s for n, s in scores.items() if n in INDEX_ITEMS and s is not None]
        self.index = sum(answered_index) / len(answered_index) if answered_index else None
        self.answered = sum(1 for s in scores.values() if s is not None)
        self.index_answered = index_answered_of(scores)

    @property
    def index_shown(self) -> float | None:
        """The index when enough items are answered for it to mean something."""
        return self.index if self.index_answered >= settings.PROGRESSION_MIN_ANSWERED else None

    @property
    def too_few_answers(self) -> bool:
        return self.index_answered < settings.PROGRESSION_MIN_ANSWERED


class DialogueTopic(models.Model):
    """An item where the raters differ by the threshold or more.

    A topic is never deleted: it is agreed (what, who, when) or, when a later
    change of the scores ends the divergence, closed with that reason. The
    three scores are the ones that differed, kept as they were when the topic
    was agreed or closed.
    """

    class Closed(models.TextChoices):
        RESOLVED = "resolved", _("the scores no longer differ after a later change")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="topics")
    item_number = models.PositiveSmallIntegerField(_("item"))
    spread = models.PositiveSmallIntegerField(_("difference"))
    agreement = models.TextField(_("what was agreed"), blank=True)
    agreed_on = models.DateField(_("agreed on"), null=True, blank=True)
    agreed_by = user_reference()
    citizen_score = models.PositiveSmallIntegerField(_("citizen's score"), null=True, blank=True)
    caseworker_score = models.PositiveSmallIntegerField(
        _("caseworker's score"), null=True, blank=True
    )
    provider_score = models.PositiveSmallIntegerField(_("provider's score"), null=True, blank=True)
    closed_reason = models.CharField(
        _("closed because"), max_length=10, choices=Closed.choices, blank=True
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    history = history_records()

    class Meta:
        ordering = ["item_number"]
        verbose_name = _("dialogue topic")
        verbose_name_plural = _("dialogue topics")
        constraints = [
            models.UniqueConstraint(fields=["round", "item_number"], name="topic_once_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.round} item {self.item_number}"

    @property
    def is_open(self) -> bool:
        return not self.agreement and not self.closed_reason

    def differing_scores(self) -> list[tuple[str, int | None]]:
        """(rater label, score) in the raters' one order."""
        return [(Rater(r).label, getattr(self, f"{r}_score")) for r in RATER_ORDER]


# Topics that still await a conversation: neither agreed nor closed.
OPEN_TOPIC = models.Q(agreement="", closed_reason="")


class CitizenLink(models.Model):
    """A one-time link for the citizen's own scores; only its hash is stored."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    language = models.CharField(_("language"), max_length=5, choices=LANGUAGES)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("citizen link")
        verbose_name_plural = _("citizen links")

    def __str__(self) -> str:
        return f"{self.round} ({self.language})"
