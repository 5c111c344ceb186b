from django.urls import path

from bank.discovery.api import views

app_name = "discovery"

urlpatterns = [
    path("status", views.StatusGetApi.as_view(), name="status"),
    path("outages", views.OutageListApi.as_view(), name="outages"),
]
