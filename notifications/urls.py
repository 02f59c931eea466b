"""/inbox/: everyone's notifications."""

from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.open_notification, name="open"),
    path("read-all/", views.read_all, name="read-all"),
    path("settings/", views.preferences, name="settings"),
]
