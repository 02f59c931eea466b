"""Public phone pages under /cases/: residents (file, follow, rate) and grid workers (my grid,
patrol, act on a case)."""

from django.urls import path

from portal import accounts
from services.views import common, grid_map, places, resident, worker

app_name = "services"
urlpatterns = [
    path("", resident.home, name="home"),
    path("login/", accounts.phone_login, name="login"),
    path("register/", accounts.register, name="register"),
    path("new/", resident.file_case, name="file"),
    path("mine/", resident.mine, name="mine"),
    path("c/<str:number>/", resident.case_page, name="case"),
    path("c/<str:number>/callback/", resident.answer_callback, name="callback"),
    path("c/<str:number>/follow/", resident.follow, name="follow"),
    path("track/", resident.track_lookup, name="track-lookup"),
    path("t/<str:token>/", resident.track, name="track"),
    path("t/<str:token>/callback/", resident.track_callback, name="track-callback"),
    path("places/", common.places, name="places"),
    path("places/locate/", common.locate, name="locate"),
    path("similar/", common.similar, name="similar"),
    path("grid/", worker.my_grid, name="grid"),
    path("grid/new/", worker.new_case, name="worker-new"),
    path("grid/patrol/", worker.patrol, name="patrol"),
    path("grid/places/", places.places, name="grid-places"),
    path("grid/places/b/<int:pk>/", places.building, name="grid-building"),
    path("grid/places/h/<int:pk>/", places.household, name="grid-household"),
    path("grid/places/h/<int:pk>/visit/", places.record_visit, name="grid-visit"),
    path("grid/places/r/<int:pk>/reveal/", places.reveal_number, name="grid-reveal"),
    path("grid/map/", grid_map.grid_map, name="grid-map"),
    path("grid/map.json", grid_map.grid_map_json, name="grid-map-json"),
    path("grid/c/<str:number>/", worker.worker_case, name="worker-case"),
    path("grid/c/<str:number>/<str:action>/", worker.act, name="worker-act"),
]
