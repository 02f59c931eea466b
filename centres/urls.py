from django.urls import path

from centres import cobuilding_views, views

app_name = "centres"
urlpatterns = [
    path("", views.finder, name="finder"),
    path("<int:pk>/", views.centre_page, name="centre"),
    path("<int:pk>/activities/", views.centre_activities, name="activities"),
    path("<int:pk>/calendar.ics", views.calendar_feed, name="calendar"),
    path("<int:pk>/affairs/", views.affairs, name="affairs"),
    path("activities/<int:pk>/", views.activity_page, name="activity"),
    path("activities/<int:pk>/sign-up/", views.activity_sign_up, name="sign-up"),
    path("activities/<int:pk>/activity.ics", views.activity_ics, name="activity-ics"),
    path("spaces/<int:pk>/book/", views.book_space, name="book-space"),
    path("me/", views.mine, name="mine"),
    path("me/sign-ups/<int:pk>/cancel/", views.cancel_signup, name="cancel-signup"),
    path("me/bookings/<int:pk>/cancel/", views.cancel_booking, name="cancel-booking"),
    path("me/appointments/<int:pk>/cancel/", views.cancel_appointment, name="cancel-appointment"),
    path("qr/<str:code>.svg", views.qr_image, name="qr"),
    path("staff/check-in/", views.check_in, name="check-in"),
    path("<int:pk>/co-building/", cobuilding_views.centre_cobuilding, name="cobuilding"),
    path("co-building/<int:pk>/order/", cobuilding_views.request_order, name="request-order"),
    path("unit/", cobuilding_views.unit_desk, name="unit-desk"),
    path("unit/orders/<int:pk>/accept/", cobuilding_views.accept_order, name="accept-order"),
]
