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

    def load(self) -> dict:
        stored = self._get_session_from_db()
        self.stored_until = stored.expire_date if stored else None
        return self.decode(stored.session_data) if stored else {}

    def renewal_due(self) -> bool:
        """True when the stored end is more than RENEW_AFTER_SECONDS older
        than a save now would make it (False for a session not in the
        database: a new one is saved when something is put in it)."""
        until = getattr(self, "stored_until", None)
        if until is None:
            return False
        fresh = timezone.now() + dt.timedelta(seconds=self.get_expiry_age())
        return fresh - until >= dt.timedelta(seconds=RENEW_AFTER_SECONDS)


class SessionRenewalMiddleware:
    """Saves a signed-in session whose end is due to move (see
    ``SessionStore.renewal_due``), where ``SESSION_SAVE_EVERY_REQUEST`` would
    save it on every request. Between SessionMiddleware and the views, so
    that its response runs first and SessionMiddleware saves what it marks."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        renewal_due = getattr(session, "renewal_due", None)
        if session is not None and session.accessed and renewal_due is not None and renewal_due():
            session.modified = True
        return response
