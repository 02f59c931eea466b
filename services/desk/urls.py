"""/desk/ URLs (see services.desk)."""

from django.urls import path

from services.desk import case, cases, home, intake

app_name = "desk"
urlpatterns = [
    path("", home.desk, name="home"),
    path("cases/", cases.case_list, name="cases"),
    path("cases/export/", cases.export, name="export"),
    path("cases/dispatch/", cases.bulk_dispatch, name="bulk-dispatch"),
    path("new/", intake.new_case, name="new"),
    path("new/caller/", intake.caller, name="caller"),
    path("new/places/", intake.places, name="places"),
    path("new/duplicates/", intake.duplicates, name="duplicates"),
    path("c/<str:number>/", case.case_page, name="case"),
    path("c/<str:number>/reveal/", case.reveal_phone, name="reveal"),
    path("c/<str:number>/<str:action>/", case.act, name="act"),
]
