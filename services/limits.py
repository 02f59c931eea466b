"""Length limits of what people write into a case, shared by the phone forms, the API
serializers and services.transitions (the admin's and the API's transitions), so a text the
form refuses is refused by the API too (portal.text: one input discipline)."""

DESCRIPTION_MAX = 4000  # what the problem is
NOTE_MAX = 2000  # a transition's note or reason, a joint unit's report, patrol notes
RESULT_MAX = 2000  # how it was handled
COMMENT_MAX = 1000  # the resident's callback comment
ADDRESS_MAX = 200
NAME_MAX = 60
CASE_NUMBER_MAX = 40  # a typed case number (merge)
