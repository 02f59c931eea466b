"""/deliberation/: residents' phone pages and the staff desk (deliberation.views)."""

from django.urls import path

from deliberation.views import desk, resident

app_name = "deliberation"
urlpatterns = [
    path("", resident.matters, name="matters"),
    path("new/", resident.raise_matter, name="raise"),
    path("m/<int:pk>/", resident.matter, name="matter"),
    path("m/<int:pk>/cosign/", resident.cosign, name="cosign"),
    path("m/<int:pk>/vote/", resident.vote, name="vote"),
    path("m/<int:pk>/comment/", resident.comment, name="comment"),
    path("m/<int:pk>/evaluate/", resident.evaluate, name="evaluate"),
    path("desk/", desk.matter_list, name="desk"),
    path("desk/new/", desk.new_matter, name="desk-new"),
    path("desk/propose/", desk.propose, name="desk-propose"),
    path("desk/m/<int:pk>/", desk.matter_page, name="desk-matter"),
    path("desk/m/<int:pk>/export/", desk.export, name="desk-export"),
    path("desk/m/<int:pk>/meeting/<int:meeting>/minutes/", desk.minutes, name="desk-minutes"),
    path("desk/m/<int:pk>/<str:action>/", desk.act, name="desk-act"),
]
