from django.urls import path

from mediation import resident_views, staff_views

app_name = "mediation"

urlpatterns = [
    path("", staff_views.dispute_list, name="list"),
    path("ledger.xlsx", staff_views.export, name="export"),
    path("new/", staff_views.new, name="new"),
    path("convert/", staff_views.convert, name="convert"),
    path("<int:pk>/", staff_views.dispute, name="dispute"),
    path("<int:pk>/reveal/", staff_views.reveal, name="reveal"),
    path("<int:pk>/agreement.pdf", staff_views.agreement_pdf, name="agreement-pdf"),
    path("<int:pk>/signed-scan/", staff_views.signed_scan, name="signed-scan"),
    path("<int:pk>/do/<slug:step>/", staff_views.step, name="step"),
    path("ask/", resident_views.ask, name="ask"),
    path("mine/", resident_views.mine, name="mine"),
    path("mine/<int:pk>/", resident_views.mine_detail, name="mine-detail"),
    path("mine/<int:pk>/withdraw/", resident_views.mine_withdraw, name="mine-withdraw"),
]
