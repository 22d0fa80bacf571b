"""Sign-in with a password and the permissions of a signed-in user."""

from django.contrib.auth.backends import ModelBackend

from accounts.access import user_access


class RoleBackend(ModelBackend):
    """Django's ``ModelBackend``, reading an active user's permissions from
    ``accounts.access`` (one cache read) instead of two queries a request.
    A superuser's (every permission) and those for an object (none) are
    Django's own."""

    def get_all_permissions(self, user_obj, obj=None):
        if (
            not user_obj.is_active
            or user_obj.is_anonymous
            or user_obj.is_superuser
            or obj is not None
        ):
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = set(user_access(user_obj).permissions)
        return user_obj._perm_cache
