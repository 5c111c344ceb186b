from django.urls import path

from bank.metrics.api import views

app_name = "cdr_admin"

urlpatterns = [
    path("metrics", views.MetricsGetApi.as_view(), name="metrics"),
    path("register/metadata", views.MetadataUpdateApi.as_view(), name="metadata-update"),
]
