from volunteers.models.ledger import (
    CENTS,
    Account,
    AccountBalance,
    AccountKind,
    LedgerEntry,
    LedgerTransaction,
    PointsPolicy,
    PointType,
    TxKind,
    from_cents,
    to_cents,
)

__all__ = [
    "CENTS",
    "Account",
    "AccountBalance",
    "AccountKind",
    "LedgerEntry",
    "LedgerTransaction",
    "PointType",
    "PointsPolicy",
    "TxKind",
    "from_cents",
    "to_cents",
]
