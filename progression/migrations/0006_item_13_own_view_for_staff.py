"""A new questionnaire version in which item 13 is worded, on the caseworker's
and the provider's forms, as their own view of the citizen's integration.

Item 13 ("I hvilken grad oplever du selv at være integreret i det danske
samfund?") is the citizen's own question; a form for another rater must not
put "du selv" to them. Published versions are never edited, so the change is
a new published version (the latest + 1, its items copied); rounds and
measurements made before keep the version they were made with. An open draft
gets the same wording, so publishing it later does not undo the change.
"""

from django.db import migrations
from django.utils import timezone

STAFF_13 = {
    "da": {
        "label": "Integration i samfundet (din vurdering af borgeren)",
        "question": "I hvilken grad vurderer du, at borgeren er integreret i det danske samfund?",
    },
    "en": {
        "label": "Integration in society (your view of the citizen)",
        "question": "To what degree do you consider the citizen integrated in Danish society?",
    },
}
NOTE = "Spørgsmål 13: sagsbehandler og tilbudssted giver deres egen vurdering af borgeren"


def forwards(apps, schema_editor):
    Questionnaire = apps.get_model("progression", "Questionnaire")
    Item = apps.get_model("progression", "Item")
    latest = Questionnaire.objects.filter(status="published").order_by("-version").first()
    if latest is None or latest.items.filter(number=13).exclude(staff_texts={}).exists():
        return
    top = Questionnaire.objects.order_by("-version").first()
    new = Questionnaire.objects.create(
        version=top.version + 1, status="published", note=NOTE, published_at=timezone.now()
    )
    Item.objects.bulk_create(
        Item(
            questionnaire=new,
            number=item.number,
            texts=item.texts,
            municipal_wording=item.municipal_wording,
            staff_texts=STAFF_13 if item.number == 13 else item.staff_texts,
        )
        for item in latest.items.order_by("number")
    )
    Item.objects.filter(questionnaire__status="draft", number=13, staff_texts={}).update(
        staff_texts=STAFF_13
    )


class Migration(migrations.Migration):
    dependencies = [
        ("progression", "0005_item_staff_texts"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
