"""What a signed-in user may do: their groups and permissions, read once and
kept in the cache.

Every page asks for the user's permissions (``has_perm``) and role
(``User.role``). Django reads them anew for every request: three queries,
1.6 ms of a page's 21 ms of CPU in the capacity run at M. Here they are one
cache read.

An entry is kept under the user's uuid, which is never given to another user
(an id can be, on SQLite), and under a version that every change of a
group's members or permissions moves: the signals are connected in
``AccountsConfig.ready``, and the version moves at the change and again at its
commit, so an entry read from the database before the commit is not kept.
An entry lives ACCESS_SECONDS at most, for a change that sends no signal (raw
SQL). Deactivating a user needs none of this: ``is_active`` is read with the
user on every request, and an inactive user has no permissions or role.

With several server processes the cache must be shared (``REDIS_URL``), as
for the figures (``common.data_version``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q

VERSION_KEY = "accounts:access_version"
ACCESS_SECONDS = 5 * 60


@dataclass(frozen=True)
class Access:
    groups: frozenset[str]
    # "app_label.codename", the user's own and their groups'.
    permissions: frozenset[str]


def _key(user) -> str:
    return f"accounts:access:{user.uuid}"


def _version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY)
    return version


def access_of(user) -> Access:
    """The groups and permissions of a saved user, from the cache when current."""
    found = cache.get_many([VERSION_KEY, _key(user)])
    version = found.get(VERSION_KEY) or _version()
    entry = found.get(_key(user))
    if entry is not None and entry[0] == version:
        return entry[1]
    access = read_access(user)
    cache.set(_key(user), (version, access), ACCESS_SECONDS)
    return access


def user_access(user) -> Access:
    """``access_of(user)``, read once for a user object: a request's user is
    asked for its permissions (``backends.RoleBackend``) and its role
    (``User.role``), and one cache read serves both, as Django keeps a user
    object's permissions once read."""
    try:
        return user._access
    except AttributeError:
        user._access = access_of(user)
        return user._access


def read_access(user) -> Access:
    """The groups and permissions of a user, from the database (two queries)."""
    from django.contrib.auth.models import Permission

    groups = frozenset(user.groups.values_list("name", flat=True))
    permissions = (
        Permission.objects.filter(Q(user=user) | Q(group__user=user))
        .values_list("content_type__app_label", "codename")
        .distinct()
    )
    return Access(groups, frozenset(f"{app}.{codename}" for app, codename in permissions))


def _move_version() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def access_changed(action: str = "", **_kwargs) -> None:
    """Every kept entry is out of date: now, and again when the change commits
    (a many-to-many change signals before and after: only after counts)."""
    if action.startswith("pre_"):
        return
    _move_version()
    transaction.on_commit(_move_version)


def connect_signals() -> None:
    """Move the version on every change of who is in which group and of what
    a group or a user is permitted."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

    user_model = get_user_model()
    for through in (
        user_model.groups.through,
        user_model.user_permissions.through,
        Group.permissions.through,
    ):
        m2m_changed.connect(access_changed, sender=through, dispatch_uid=f"access:{through}")
    for model in (Group, Permission):
        post_save.connect(access_changed, sender=model, dispatch_uid=f"access:save:{model}")
        post_delete.connect(access_changed, sender=model, dispatch_uid=f"access:delete:{model}")
    post_delete.connect(access_changed, sender=user_model, dispatch_uid="access:delete:user")
    post_migrate.connect(access_changed, dispatch_uid="access:migrate")
