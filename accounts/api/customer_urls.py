from django.urls import path

from accounts.api import customer_views as views

app_name = "customer"

urlpatterns = [
    path("customer", views.CustomerApi.as_view(), name="basic"),
    path("customer/detail", views.CustomerDetailApi.as_view(), name="detail"),
]
