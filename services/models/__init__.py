from services.models.calendar import Holiday, HolidayChange, HolidayYear
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
    KpiConfig,
    RoutingRule,
    TimeLimit,
)
from services.models.field import CityLink, CityOutbox, CityStatus, PatrolLog, WebhookNonce

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
    "CityLink",
    "CityOutbox",
    "CityStatus",
    "ExtensionRequest",
    "Holiday",
    "HolidayChange",
    "HolidayYear",
    "JointUnit",
    "KpiConfig",
    "PatrolLog",
    "RoutingRule",
    "TimeLimit",
    "WebhookNonce",
]
