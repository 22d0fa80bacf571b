"""common.constraints.between: the check it builds is the one written out by hand."""

from django.db import models

from common.constraints import between


def test_between_includes_both_ends():
    check = between("score", 1, 5, name="score_1_to_5")
    assert check == models.CheckConstraint(
        condition=models.Q(score__gte=1, score__lte=5), name="score_1_to_5"
    )


def test_between_or_null_lets_an_empty_value_pass():
    check = between("score", 1, 5, or_null=True, name="score_1_to_5")
    assert check == models.CheckConstraint(
        condition=models.Q(score__gte=1, score__lte=5) | models.Q(score__isnull=True),
        name="score_1_to_5",
    )
