"""/workforce/ URLs (see workforce.views)."""

from django.urls import path

from workforce import views, views_edit

app_name = "workforce"
urlpatterns = [
    path("", views.worker_list, name="workers"),
    path("<int:pk>/", views.worker_detail, name="worker"),
    path("new/", views_edit.add_worker, name="add"),
    path("<int:pk>/grade/", views_edit.change_grade, name="grade"),
    path("<int:pk>/transfer/", views_edit.transfer, name="transfer"),
    path("<int:pk>/leave/", views_edit.leave, name="leave"),
    path("<int:pk>/assess/", views.assess, name="assess"),
    path("import/", views.import_workers, name="import"),
    path("proposals/", views.proposals, name="proposals"),
    path("proposals/<int:pk>/decide/", views.decide, name="decide"),
    path("staffing/", views.staffing, name="staffing"),
    path("workload/", views.workload, name="workload"),
    path("pay/", views.pay_table, name="pay"),
]
