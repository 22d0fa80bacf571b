"""Questionnaire version 1, published, with the 13 default items.

The texts live in the fixture ``progression/fixtures/default_questionnaire.json``
(also loadable with ``manage.py loaddata default_questionnaire``) so that they
can be read and reviewed apart from the code. Items 1, 7 and 13 are the
municipality's own wording; the other ten are a default set that an
administrator may replace by publishing a new version in the browser, never by
editing version 1. The Arabic, Tigrinya, Somali and Dari/Farsi texts should be
checked by a translator before citizens see them.
"""

import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

DATA = Path(__file__).resolve().parent.parent / "fixtures" / "default_questionnaire.json"


def create_default_questionnaire(apps, schema_editor):
    Questionnaire = apps.get_model("progression", "Questionnaire")
    Item = apps.get_model("progression", "Item")
    rows = json.loads(DATA.read_text(encoding="utf-8"))
    header = next(r["fields"] for r in rows if r["model"] == "progression.questionnaire")
    if Questionnaire.objects.filter(version=header["version"]).exists():
        return
    questionnaire = Questionnaire.objects.create(
        version=header["version"],
        status="published",
        note=header["note"],
        published_at=timezone.now(),
    )
    Item.objects.bulk_create(
        Item(
            questionnaire=questionnaire,
            number=row["fields"]["number"],
            municipal_wording=row["fields"]["municipal_wording"],
            texts=row["fields"]["texts"],
        )
        for row in rows
        if row["model"] == "progression.item"
    )


def delete_default_questionnaire(apps, schema_editor):
    # Rounds and measurements protect the version: a database with
    # measurements refuses to go back, as it should.
    Questionnaire = apps.get_model("progression", "Questionnaire")
    Questionnaire.objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("progression", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_default_questionnaire, delete_default_questionnaire),
    ]
