from services.models.cases import (
    Callback,
    Case,
    CaseCounter,
    CaseEvent,
    CaseFollower,
    CasePhoto,
    CaseQuerySet,
    ExtensionRequest,
    JointUnit,
)
from services.models.catalogue import (
    DEFAULT_LIMITS,
    Category,
    Holiday,
    KpiConfig,
    RoutingRule,
    TimeLimit,
)
from services.models.notifications import Notification, NotificationOutbox, OutboxStatus

__all__ = [
    "DEFAULT_LIMITS",
    "Callback",
    "Case",
    "CaseCounter",
    "CaseEvent",
    "CaseFollower",
    "CasePhoto",
    "CaseQuerySet",
    "Category",
    "ExtensionRequest",
    "Holiday",
    "JointUnit",
    "KpiConfig",
    "Notification",
    "NotificationOutbox",
    "OutboxStatus",
    "RoutingRule",
    "TimeLimit",
]
