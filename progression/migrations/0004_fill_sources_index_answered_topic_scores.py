"""Fill the new columns of 0003 for the rows already there.

- ``Measurement.source``: an answer through a link is the citizen's own
  ("link"); a provider column entered by a provider organisation's user is
  the provider's own ("provider"); every other column stays "grid".
- ``Measurement.index_answered``: the answered items among 1–12, in one
  UPDATE per table.
- ``DialogueTopic`` scores: the three raters' current scores of the item.
"""

from django.db import migrations
from django.db.models import Case, IntegerField, Value, When

INDEX_FIELDS = [f"item_{n}" for n in range(1, 13)]


def _answered_expression():
    total = None
    for field in INDEX_FIELDS:
        term = Case(
            When(**{f"{field}__isnull": False}, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
        total = term if total is None else total + term
    return total


def fill(apps, schema_editor):
    Measurement = apps.get_model("progression", "Measurement")
    DialogueTopic = apps.get_model("progression", "DialogueTopic")
    Measurement.objects.update(index_answered=_answered_expression())
    Measurement.objects.filter(via_link=True).update(source="link")
    Measurement.objects.filter(
        rater="provider", entered_by__provider_organisation__isnull=False
    ).update(source="provider")
    for topic in DialogueTopic.objects.iterator(chunk_size=2000):
        field = f"item_{topic.item_number}"
        scores = dict(
            Measurement.objects.filter(round_id=topic.round_id).values_list("rater", field)
        )
        DialogueTopic.objects.filter(pk=topic.pk).update(
            citizen_score=scores.get("citizen"),
            caseworker_score=scores.get("caseworker"),
            provider_score=scores.get("provider"),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("progression", "0003_rater_columns_kept_topics_closed"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
