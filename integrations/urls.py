"""Staff pages of the integrations app (connect buttons, test connection, timelines)."""
app_name = "integrations"
urlpatterns: list = []
