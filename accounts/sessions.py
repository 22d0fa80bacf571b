"""Sessions kept in the database, as Django keeps them, with two corrections:
an unreachable database is told from a deleted session, and an idle session's
end moves with the user's requests without a write on every request."""

import datetime as dt

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import InterfaceError, OperationalError
from django.utils import timezone

# A session's stored end is moved at most this often: a session ends between
# SESSION_COOKIE_AGE less this and SESSION_COOKIE_AGE after the last request.
# Saving it on every request was a transaction (an UPDATE and a commit) on
# every page, a tenth of the statements of a caseworker's day.
RENEW_AFTER_SECONDS = 60


class SessionStore(db.SessionStore):
    """Knows when the stored session ends (``renewal_due``), and tells an
    unreachable database from a session deleted meanwhile.

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

    # The end stored in the database when the session was read; None for a
    # session not read from there (a new one).
    stored_until: dt.datetime | None = None

    def load(self) -> dict:
        stored = self._get_session_from_db()
        self.stored_until = stored.expire_date if stored else None
        return self.decode(stored.session_data) if stored else {}

    def renewal_due(self) -> bool:
        """True when a save now would move the stored end by
        RENEW_AFTER_SECONDS or more (False for a session not in the database:
        a new one is saved when something is put in it)."""
        if self.stored_until is None:
            return False
        fresh = timezone.now() + dt.timedelta(seconds=self.get_expiry_age())
        return fresh - self.stored_until >= dt.timedelta(seconds=RENEW_AFTER_SECONDS)


class SessionRenewalMiddleware:
    """Saves a signed-in session whose end is due to move (see
    ``SessionStore.renewal_due``), where ``SESSION_SAVE_EVERY_REQUEST`` would
    save it on every request. Between SessionMiddleware and the views, so
    that its response runs first and SessionMiddleware saves what it marks."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.session.accessed and request.session.renewal_due():
            request.session.modified = True
        return response
