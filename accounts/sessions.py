"""Sessions kept in the database, as Django keeps them, with one correction."""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import InterfaceError, OperationalError


class SessionStore(db.SessionStore):
    """Tells an unreachable database from a session deleted meanwhile.

    Django takes any database error while saving a session for "the session
    was deleted by a concurrent sign-out" and answers 400 Bad Request. When
    the connection itself failed (the database is restarting) the error goes
    on instead, and the user gets the "temporarily unavailable" page.
    """

    def save(self, must_create: bool = False) -> None:
        try:
            super().save(must_create=must_create)
        except UpdateError as exc:
            if isinstance(exc.__context__, OperationalError | InterfaceError):
                raise exc.__context__ from None
            raise
