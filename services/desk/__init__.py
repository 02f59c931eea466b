"""The 12345 desk (/desk/): the daily work bench of community, street and department staff.

- `home`: where staff land after login; live counts for the user's scope, each opening the list.
- `cases`: the case list (filters, word search, sort, bulk dispatch, Excel export).
- `intake`: keying in a hotline call, a walk-in at the centre window or a unit's report.
- `case`: the staff case page (actions as buttons, deadlines as a clock line, timeline, photos).

Ordinary Django views over `services.actions` (the one write path) and the area scope in
`grids.scope`; the Django admin keeps the catalogues and registers."""
