from rest_framework.routers import DefaultRouter

from grids.api import views

router = DefaultRouter()
router.register("areas", views.AreaViewSet, basename="area")
router.register("grids", views.GridViewSet, basename="grid")
router.register("teams", views.TeamViewSet, basename="team")
router.register("party-orgs", views.PartyOrgViewSet, basename="party-org")
router.register("party-members", views.PartyMemberViewSet, basename="party-member")
router.register("residents", views.ResidentRevealViewSet, basename="resident")
urlpatterns = router.urls
