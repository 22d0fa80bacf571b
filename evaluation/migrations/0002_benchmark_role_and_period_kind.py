"""Every benchmark figure says whose it is (own, neighbour, national) and what
kind of period it covers (month, quarter, year).

In three steps: the two columns are added empty, filled from the rows'
municipality and period, then made required. The fill uses its own copy of
the rules, so that later changes to the model's code cannot change what this
migration did.
"""

import re

from django.conf import settings
from django.db import migrations, models

NATIONAL = "Hele landet"
PERIOD_KINDS = (
    ("year", re.compile(r"[0-9]{4}")),
    ("quarter", re.compile(r"[0-9]{4}-Q[1-4]")),
    ("month", re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")),
)


def _role(municipality: str) -> str:
    if municipality == NATIONAL:
        return "national"
    if municipality == settings.MUNICIPALITY_NAME:
        return "own"
    return "neighbour"


def _period_kind(period: str) -> str | None:
    for kind, pattern in PERIOD_KINDS:
        if pattern.fullmatch(period):
            return kind
    return None


def fill_role_and_period_kind(apps, schema_editor):
    BenchmarkValue = apps.get_model("evaluation", "BenchmarkValue")
    rows = list(BenchmarkValue.objects.all())
    bad = [row for row in rows if _period_kind(row.period) is None]
    if bad:
        listed = ", ".join(f"{row.pk}: {row.period!r}" for row in bad[:20])
        raise RuntimeError(
            f"{len(bad)} benchmark values have a period that is not a year (2018), "
            f"a quarter (2018-Q4) or a month (2018-12); correct them first. {listed}"
        )
    for row in rows:
        row.role = _role(row.municipality)
        row.period_kind = _period_kind(row.period)
    BenchmarkValue.objects.bulk_update(rows, ["role", "period_kind"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="benchmarkvalue",
            name="role",
            field=models.CharField(
                choices=[
                    ("own", "Own municipality"),
                    ("neighbour", "Other municipality"),
                    ("national", "The whole country"),
                ],
                max_length=10,
                null=True,
                verbose_name="role",
            ),
        ),
        migrations.AddField(
            model_name="benchmarkvalue",
            name="period_kind",
            field=models.CharField(
                choices=[("month", "Month"), ("quarter", "Quarter"), ("year", "Year")],
                max_length=10,
                null=True,
                verbose_name="period kind",
            ),
        ),
        migrations.RunPython(fill_role_and_period_kind, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="benchmarkvalue",
            name="role",
            field=models.CharField(
                choices=[
                    ("own", "Own municipality"),
                    ("neighbour", "Other municipality"),
                    ("national", "The whole country"),
                ],
                max_length=10,
                verbose_name="role",
            ),
        ),
        migrations.AlterField(
            model_name="benchmarkvalue",
            name="period_kind",
            field=models.CharField(
                choices=[("month", "Month"), ("quarter", "Quarter"), ("year", "Year")],
                max_length=10,
                verbose_name="period kind",
            ),
        ),
        migrations.AlterField(
            model_name="benchmarkvalue",
            name="period",
            field=models.CharField(
                help_text="For example 2018, 2018-Q4 or 2018-12.",
                max_length=20,
                verbose_name="period",
            ),
        ),
    ]
