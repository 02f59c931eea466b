"""Phone pages, kiosk and staff pages of surveys under /surveys/."""

from django.urls import path

from surveys import staff_views, views

app_name = "surveys"
urlpatterns = [
    path("", views.home, name="home"),
    path("<int:pk>/", views.answer, name="answer"),
    path("kiosk/<str:token>/", views.kiosk_home, name="kiosk"),
    path("kiosk/<str:token>/<int:pk>/", views.kiosk_answer, name="kiosk-answer"),
    path("staff/", staff_views.questionnaires, name="staff"),
    path("staff/new/", staff_views.new, name="staff-new"),
    path("staff/kiosks/", staff_views.kiosks, name="staff-kiosks"),
    path("staff/<int:pk>/", staff_views.detail, name="staff-detail"),
    path("staff/<int:pk>/questions/", staff_views.add_question, name="staff-add-question"),
    path(
        "staff/<int:pk>/questions/<int:qid>/<str:step>/",
        staff_views.question_step,
        name="staff-question-step",
    ),
    path("staff/<int:pk>/rounds/", staff_views.open_round, name="staff-open-round"),
    path("staff/<int:pk>/indices/", staff_views.define_index, name="staff-define-index"),
    path("staff/<int:pk>/trend/", staff_views.trend, name="staff-trend"),
    path("staff/rounds/<int:pk>/", staff_views.round_results, name="staff-results"),
    path("staff/rounds/<int:pk>/close/", staff_views.close_round, name="staff-close-round"),
    path("staff/rounds/<int:pk>/export/", staff_views.round_export, name="staff-export"),
    path("staff/rounds/<int:pk>/paper/", staff_views.paper, name="staff-paper"),
]
