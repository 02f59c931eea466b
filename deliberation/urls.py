urlpatterns: list = []
app_name = "deliberation"
