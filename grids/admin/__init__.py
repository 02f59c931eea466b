"""The staff admin of the territory, one module per part:

- tree: the area tree (treebeard), with counts and coverage per node;
- people: departments, units, households, residents, role assignments, the access log;
- teams: grid teams;
- party: the party organisation.

Every admin here is scoped (grids.admin_mixins): lists, counts, searches, foreign-key choices
and autocompletes hold only what the user's scope covers, and anything else is a 404. Models
written by grids.actions are changed only through it (portal.write_path): forms whose save is
the operation (grids.admin.common.OperationForm), admin actions, and the Excel import
(grids.excel), which lands whole or not at all.
"""

from grids.admin import party, people, teams, tree

__all__ = ["party", "people", "teams", "tree"]
