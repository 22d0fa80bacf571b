"""Bulk inserts for imports: thousands of checked rows in a few statements.

Django's ``bulk_create`` prepares every value of every row through its field
and ``simple_history`` builds a model instance per history row: about 50 µs of
Python per row, and an import of 10,000 citizens writes some 60,000 rows
(citizen, case, their history, status change, access log). Here the rows are
plain dicts of values; PostgreSQL takes them with COPY (keys drawn from the
table's sequence first), other databases with multi-row INSERTs, and history
rows are copied inside the database from the rows just stored.

They only insert: the callers (the bulk services) have validated every row
first, and uniqueness is left to the database constraints, so a clash raises
IntegrityError and the caller's transaction rolls everything back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import NotSupportedError, connections, models, router
from django.db.models.expressions import DatabaseDefault
from django.utils import timezone

# Rows per INSERT where COPY is not used; SQLite's limit of 999 parameters per
# statement (Django's bulk_batch_size) makes it lower there.
# Fewer rows than this go in a multi-row INSERT rather than COPY.
COPY_MIN_ROWS = 100
BATCH = 1000
# Characters of COPY text the driver sends at a time, and rows written at a time.
COPY_CHUNK = 64 * 1024
COPY_BLOCK = 500
# Keys per ``= ANY(%s)`` when history rows are copied on PostgreSQL.
KEYS_BATCH = 10_000

# Fields whose Python value is already what the database driver takes.
_AS_IS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "FloatField",
        "IntegerField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)


def _kind(field: models.Field) -> str:
    return (field.target_field if field.is_relation else field).get_internal_type()


def _converter(field: models.Field, connection) -> Callable[[Any], Any] | None:
    """How a value of ``field`` goes to the database; None when it goes as it is."""
    kind = _kind(field)
    if kind in _AS_IS:
        return None
    # The backend's own adapters, without the field's per-value preparation.
    if kind == "DateField":
        return connection.ops.adapt_datefield_value
    if kind == "DateTimeField":
        return connection.ops.adapt_datetimefield_value
    if kind == "UUIDField" and connection.features.has_native_uuid_field:
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def _fill_defaults(fields: list[models.Field], rows: Sequence[dict[str, Any]]) -> None:
    now = timezone.now()
    for field in fields:
        name = field.attname
        if name in rows[0]:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for row in rows:
                row[name] = now
        elif field.has_default() and callable(field.default):
            for row in rows:  # a uuid4 per row
                row[name] = field.default()
        elif field.has_default() or field.null or field.empty_strings_allowed:
            value = field.get_default()  # "" for text, as Django would store
            for row in rows:
                row[name] = value
        else:
            raise ValueError(f"{field.model.__name__}.{name} needs a value.")


# The columns copy_text writes; any other sends the rows by INSERT.
_COPY_KINDS = _AS_IS | {"DateField", "DateTimeField", "UUIDField", "DecimalField"}
# COPY's text format: a tab between columns, \N for NULL, and these escaped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: Any) -> str:
    """One value in COPY's text format (the bench seed writes its rows with it too)."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, dt.date):  # and datetime, with its UTC offset
        return value.isoformat()
    return str(value)  # numbers, UUIDs, decimals


def _copy(cursor, meta, fields: list[models.Field], rows, *, returning: bool) -> None:
    qn = cursor.db.ops.quote_name
    columns = list(fields)
    if returning:
        # The sequence named once, as a constant: asked for by table and column
        # in the same statement, PostgreSQL looked it up again for every key
        # (34 ms instead of 3.5 for 10,000 keys).
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column])
        (sequence,) = cursor.fetchone()
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, len(rows)]
        )
        for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
            row[meta.pk.attname] = pk
        columns.insert(0, meta.pk)
    lines = _copy_lines(rows, [f.attname for f in columns])
    # The driver's own call: Django's wrapper would not turn its errors into
    # django.db's IntegrityError and DataError, so that is done here.
    with cursor.db.wrap_database_errors:
        cursor.cursor.copy_expert(
            f"COPY {qn(meta.db_table)} ({', '.join(qn(f.column) for f in columns)}) FROM STDIN",
            _Stream(lines),
            size=COPY_CHUNK,
        )


class _Texts(dict):
    """A column's values and their COPY text, each written once."""

    def __missing__(self, value: Any) -> str:
        text = self[value] = copy_text(value)
        return text


def _copy_lines(rows, names: list[str]) -> Iterator[str]:
    """The rows in COPY's text format, ``COPY_BLOCK`` rows at a time.

    Most of a column's values repeat (an import's user and what it says in
    the access log, its dates and categories), so each distinct value of a
    column is written once; and a block is written column by column, which
    keeps the loops over the rows in C: the 10,000 rows of a citizens
    import's 20 columns in 46 ms instead of 77 row by row.

    Values that are equal but of other types (1, 1.0 and True) share a
    column's text; where that is wrong for the column (``t`` for an integer)
    the database refuses it, so nothing is stored other than it was given."""
    texts = [_Texts() for _name in names]
    for start in range(0, len(rows), COPY_BLOCK):
        block = rows[start : start + COPY_BLOCK]
        columns = [
            map(written.__getitem__, map(itemgetter(name), block))
            for name, written in zip(names, texts, strict=True)
        ]
        yield "".join(["\t".join(line) + "\n" for line in zip(*columns, strict=True)])


class _Stream:
    """The file COPY reads, written a chunk at a time as the driver asks for
    it, so that the server stores the first rows while the next are written:
    the COPY of 10,000 citizens took 199 ms with its whole text written
    first, 148 ms streamed (medians of three interleaved runs, size L)."""

    def __init__(self, pieces: Iterator[str]):
        self._pieces = pieces

    def read(self, size: int = -1) -> str:
        chunk, length = [], 0
        for piece in self._pieces:
            chunk.append(piece)
            length += len(piece)
            if length >= size > 0:
                break
        return "".join(chunk)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused for a bulk job (also a decorator).

    An import keeps every row it reads and builds until it ends, hundreds of
    thousands of objects. The collector, run after every 700 new ones, finds
    nothing to free among them, and its full passes walk them all again:
    0.17 s of an import of 10,000 citizens that took 1.47 s (size L).
    Reference counting frees what is let go meanwhile; the few cycles left
    are collected after. Already paused (a job within a job), it stays so.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def insert(
    model: type[models.Model], rows: Sequence[dict[str, Any]], *, returning: bool = True
) -> None:
    """Insert ``rows`` (dicts by attname); fill in each dict its defaults and new pk.

    Every row has the same keys; a column missing from them takes the field's
    default (``auto_now_add`` takes the time of the call).
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    if returning and meta.auto_field is None:
        raise ValueError(f"{model.__name__} has no key the database numbers.")
    fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
    _fill_defaults(fields, rows)
    with connection.cursor() as cursor:
        # psycopg2's copy_expert; another driver, or a column COPY's text form
        # is not written for here (JSON, say), takes the INSERT path.
        # A few rows (a page's access-log entries) go in one INSERT: COPY
        # would first draw the keys from the sequence, two round trips.
        if (
            connection.vendor == "postgresql"
            and len(rows) >= COPY_MIN_ROWS
            and hasattr(cursor.cursor, "copy_expert")
            and all(_kind(f) in _COPY_KINDS for f in fields)
        ):
            _copy(cursor, meta, fields, rows, returning=returning)
            return
        if returning and not connection.features.can_return_rows_from_bulk_insert:
            raise NotSupportedError("The database cannot return the keys of a multi-row INSERT.")
        qn = connection.ops.quote_name
        names = [f.attname for f in fields]
        convert = [_converter(f, connection) for f in fields]
        head = f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        tail = f" RETURNING {qn(meta.pk.column)}" if returning else ""
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        size = max(1, min(BATCH, connection.ops.bulk_batch_size(fields, rows)))
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            params = [
                row[name] if conv is None else conv(row[name])
                for row in batch
                for name, conv in zip(names, convert, strict=True)
            ]
            cursor.execute(head + "VALUES " + ", ".join([one] * len(batch)) + tail, params)
            if returning:
                for row, (pk,) in zip(batch, cursor.fetchall(), strict=True):
                    row[meta.pk.attname] = pk


def new_objects(model: type[models.Model], rows: Iterable[Mapping[str, Any]]) -> list:
    """Unsaved instances of ``model``, one for each dict of values by field
    attname, its other fields at their defaults: what ``model(**row)``
    makes. Built as a queryset builds what it reads, every field's value in
    order, which skips Django's matching of keyword arguments to fields:
    10,000 employment spells in 64 ms instead of 101 (``model(**row)``)."""
    fields = model._meta.concrete_fields
    names = [f.attname for f in fields]
    known = frozenset(names)
    fixed: dict[str, Any] = {}
    made: list[tuple[str, Callable[[], Any]]] = []  # a default made anew (a uuid4)
    for f in fields:
        if f.has_default() and callable(f.default):
            made.append((f.attname, f.default))
        else:
            fixed[f.attname] = f.get_default()
    objs = []
    for row in rows:
        if not row.keys() <= known:
            unknown = ", ".join(sorted(row.keys() - known))
            raise TypeError(f"{model.__name__} has no field named {unknown}.")
        values = {**fixed, **{name: make() for name, make in made if name not in row}, **row}
        objs.append(model(*[values[name] for name in names]))
    return objs


def insert_objects(objs: Sequence[models.Model]) -> None:
    """Insert unsaved instances of one model and set their primary keys."""
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    now = timezone.now()
    for field in meta.concrete_fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                setattr(obj, field.attname, now)
    names = [f.attname for f in meta.concrete_fields if f is not meta.auto_field]
    rows = [{name: getattr(obj, name) for name in names} for obj in objs]
    insert(model, rows)
    db = router.db_for_write(model)
    for obj, row in zip(objs, rows, strict=True):
        obj.pk = row[meta.pk.attname]
        obj._state.adding = False
        obj._state.db = db


def update(objs: Sequence[models.Model], fields: list[str]) -> None:
    """Save ``fields`` of stored instances of one model, a thousand rows a statement.

    Django's ``bulk_update`` builds a CASE expression per row and field, about
    a millisecond per citizen; here the values arrive as one VALUES list that
    the UPDATE joins on the primary key.
    """
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    convert = [_converter(f, connection) for f in columns]
    if connection.vendor == "postgresql":
        # VALUES takes its column types from the values; say them.
        one = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in columns) + ")"
    else:
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    names = [f"c{i}" for i in range(len(columns))]
    table = qn(meta.db_table)
    assignments = ", ".join(
        f"{qn(f.column)} = v.{n}" for f, n in zip(columns[1:], names[1:], strict=True)
    )
    tail = (
        f" UPDATE {table} SET {assignments} FROM v "
        f"WHERE {table}.{qn(meta.pk.column)} = v.{names[0]}"
    )
    limit = connection.features.max_query_params or BATCH * len(columns)
    size = max(1, min(BATCH, limit // len(columns)))
    with connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            batch = objs[start : start + size]
            params = []
            for obj in batch:
                for field, conv in zip(columns, convert, strict=True):
                    value = getattr(obj, field.attname)
                    params.append(value if conv is None else conv(value))
            values = ", ".join([one] * len(batch))
            cursor.execute(f"WITH v ({', '.join(names)}) AS (VALUES {values})" + tail, params)


def delete(model: type[models.Model], pks: Sequence[Any]) -> None:
    """Delete rows that no other row refers to, without Django's collector.

    The caller writes their "-" history rows first (``insert_history``): a
    queryset delete would write them through signals, with no way to say who.
    """
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    head = f"DELETE FROM {qn(model._meta.db_table)} WHERE {qn(model._meta.pk.column)} IN "
    pks = list(pks)
    size = connection.features.max_query_params or KEYS_BATCH
    with connection.cursor() as cursor:
        for start in range(0, len(pks), size):
            chunk = pks[start : start + size]
            cursor.execute(head + f"({', '.join(['%s'] * len(chunk))})", chunk)


def insert_history(
    model: type[models.Model],
    pks: Sequence[Any],
    *,
    user_id: int | None,
    history_type: str = "+",
) -> None:
    """The django-simple-history rows of the stored rows ``pks`` of ``model``.

    The same records ``bulk_create_with_history`` writes (every tracked field,
    the time, the user and the type: "+" created, "~" changed, "-" about to be
    deleted), copied by the database from the rows as they are stored, so that
    no value travels twice.
    """
    if not pks or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    historical = model.history.model
    tracked = historical.tracked_fields
    columns = [historical._meta.get_field(f.name).column for f in tracked]
    columns += ["history_date", "history_user_id", "history_change_reason", "history_type"]
    stamp = [
        connection.ops.adapt_datetimefield_value(timezone.now()),
        user_id,
        "",
        history_type,
    ]
    head = (
        f"INSERT INTO {qn(historical._meta.db_table)} ({', '.join(map(qn, columns))}) "
        f"SELECT {', '.join(qn(f.column) for f in tracked)}, %s, %s, %s, %s "
        f"FROM {qn(model._meta.db_table)} WHERE {qn(model._meta.pk.column)} "
    )
    pks = list(pks)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for start in range(0, len(pks), KEYS_BATCH):
                cursor.execute(head + "= ANY(%s)", [*stamp, pks[start : start + KEYS_BATCH]])
        else:
            size = (connection.features.max_query_params or KEYS_BATCH) - len(stamp)
            for start in range(0, len(pks), size):
                chunk = pks[start : start + size]
                cursor.execute(head + f"IN ({', '.join(['%s'] * len(chunk))})", [*stamp, *chunk])


def full_clean_many(
    objs: Sequence[models.Model], *, exclude: Sequence[str] = (), validate_constraints: bool = False
) -> None:
    """``obj.full_clean(exclude, validate_unique=False, validate_constraints=...)``
    for many instances of one model, with the same errors: the first instance
    that fails raises, with all of its own. Uniqueness is left to the
    database, as the bulk writes do.

    Each field's value is cleaned once, however many instances share it: a
    file of 10,000 rows holds a few hundred dates and a handful of
    categories, and Django's machinery around each field's ``clean`` cost
    25 µs an instance (make bench, size L). A field's ``clean`` depends on
    the value alone, for instances of one model in one database.
    """
    if not objs:
        return
    meta = type(objs[0])._meta
    fields = [f for f in meta.fields if f.name not in exclude and not f.generated]
    constraints = validate_constraints and any(
        model._meta.constraints for model in [type(objs[0]), *meta.get_parent_list()]
    )
    cleaned: dict[tuple[str, type, Any], Any] = {}
    for obj in objs:
        errors: dict[str, list] = {}
        for f in fields:
            raw = getattr(obj, f.attname)
            if (f.blank and raw in f.empty_values) or isinstance(raw, DatabaseDefault):
                continue
            key = (f.attname, type(raw), raw)  # 1 and True are equal keys
            try:
                value = cleaned[key]
            except (KeyError, TypeError) as miss:  # TypeError: an unhashable value
                try:
                    value = f.clean(raw, obj)
                except ValidationError as exc:
                    errors[f.name] = exc.error_list
                    continue
                if isinstance(miss, KeyError):
                    cleaned[key] = value
            setattr(obj, f.attname, value)
        try:
            obj.clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if constraints:
            passed = {*exclude, *(name for name in errors if name != NON_FIELD_ERRORS)}
            try:
                obj.validate_constraints(exclude=passed)
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


def create_with_history(objs: Sequence[models.Model], *, user_id: int | None) -> None:
    """``bulk_create_with_history`` for unsaved instances of one model, in few statements."""
    if objs:
        insert_objects(objs)
        insert_history(type(objs[0]), [obj.pk for obj in objs], user_id=user_id)
