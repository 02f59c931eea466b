"""Who sees a worker's pay and assessments: the worker, the head (书记/主任) of the worker's
community, and the street's staff office (street_staff over the community); superusers in the
admin. No new role: the street office is grids' street_staff role, the community's head is read
from this register (an active worker of that community in a head position, through their
account). Everyone else who may see the worker sees the rest of the record, never pay."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from grids.models import Role
from grids.scope import scope_for
from workforce.models import HEAD_POSITIONS, Worker


@dataclass(frozen=True)
class PayScope:
    user_id: int | None
    everything: bool
    street_paths: tuple[str, ...]
    head_of: frozenset[int]  # community ids

    def covers(self, worker: Worker, community_path: str | None = None) -> bool:
        """No query when the worker's community is loaded or its path given."""
        if self.everything:
            return True
        if self.user_id is not None and worker.user_id == self.user_id:
            return True
        if worker.community_id in self.head_of:
            return True
        path = community_path if community_path is not None else worker.community.path
        return any(path.startswith(p) for p in self.street_paths)


def pay_scope(user) -> PayScope:
    """The user's pay scope: the cached area scope plus one query for the communities they
    head. Cached on the user object for the request."""
    cached = getattr(user, "_workforce_pay_scope", None)
    if cached is not None:
        return cached
    scope = scope_for(user)
    if not getattr(user, "is_authenticated", False):
        out = PayScope(None, False, (), frozenset())
    elif scope.is_superuser:
        out = PayScope(user.pk, True, (), frozenset())
    else:
        heads = (
            Worker.objects.active(timezone.localdate())
            .filter(user_id=user.pk, position__in=HEAD_POSITIONS)
            .values_list("community_id", flat=True)
        )
        out = PayScope(
            user.pk,
            False,
            scope.paths_by_role.get(Role.STREET_STAFF, ()),
            frozenset(heads),
        )
    user._workforce_pay_scope = out
    return out


def sees_pay(user, worker: Worker) -> bool:
    return pay_scope(user).covers(worker)


def may_decide(user, worker: Worker) -> bool:
    """Promotions and assessments are the street office's: street staff over the community."""
    scope = scope_for(user)
    if scope.is_superuser:
        return True
    return any(
        worker.community.path.startswith(p) for p in scope.paths_by_role.get(Role.STREET_STAFF, ())
    )
