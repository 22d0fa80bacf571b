"""Rows whose field is one of many values: the imports' lookups.

An import asks for the stored rows of every CPR number or case in its file,
10,000 of them. As ``__in`` each value is a parameter of its own: Django
builds and quotes 10,000 of them (20–50 ms) and PostgreSQL parses them. On
PostgreSQL the values go as one array instead (``field__any``); elsewhere,
SQLite's limit on parameters asks for chunks of ``__in``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db import NotSupportedError, connections, models
from django.db.models import Lookup

from common.csvimport import chunks


class AnyOf(Lookup):
    """``field__any=values``: ``field = ANY(%s)``, the values as one array
    parameter (PostgreSQL)."""

    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        field = self.lhs.output_field
        return "%s", [[field.get_db_prep_value(v, connection, prepared=False) for v in value]]

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql":
            raise NotSupportedError("field__any needs PostgreSQL; use among().")
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


# Foreign keys keep lookups of their own.
models.Field.register_lookup(AnyOf)
models.ForeignObject.register_lookup(AnyOf)


def among(queryset: models.QuerySet, name: str, values: Iterable) -> Iterator[models.QuerySet]:
    """``queryset`` narrowed to the rows whose ``name`` is one of ``values``,
    as the querysets to run: one on PostgreSQL, a chunk of ``__in`` each
    elsewhere; none for no values."""
    values = list(values)
    if not values:
        return
    if connections[queryset.db].vendor == "postgresql":
        yield queryset.filter(**{f"{name}__any": values})
        return
    for part in chunks(values):
        yield queryset.filter(**{f"{name}__in": part})
