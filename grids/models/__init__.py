from grids.models.access import AccessLog, PrivateField
from grids.models.areas import Area, AreaKind, DedicatedKind, GridKind
from grids.models.organisations import CoBuildingUnit, Department
from grids.models.party import (
    ConcurrentMember,
    ContactHousehold,
    CrossPosting,
    EstateBody,
    EstateBodyKind,
    MemberKind,
    PartyMember,
    PartyOrg,
    PartyOrgKind,
)
from grids.models.people import Household, Resident, ResidentTag
from grids.models.roles import Role, RoleAssignment
from grids.models.teams import AuxiliaryKind, GridTeamMember, TeamRole
from grids.models.visits import HouseholdVisit, VisitKind

__all__ = [
    "AccessLog",
    "PrivateField",
    "Area",
    "AuxiliaryKind",
    "GridTeamMember",
    "TeamRole",
    "AreaKind",
    "CoBuildingUnit",
    "ConcurrentMember",
    "ContactHousehold",
    "CrossPosting",
    "EstateBody",
    "EstateBodyKind",
    "MemberKind",
    "PartyMember",
    "PartyOrg",
    "PartyOrgKind",
    "DedicatedKind",
    "Department",
    "GridKind",
    "Household",
    "HouseholdVisit",
    "VisitKind",
    "Resident",
    "ResidentTag",
    "Role",
    "RoleAssignment",
]
