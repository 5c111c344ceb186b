from django.urls import path

from accounts.api import views

app_name = "products"

urlpatterns = [
    path("products", views.ProductListApi.as_view(), name="list"),
    path("products/<str:product_id>", views.ProductDetailApi.as_view(), name="detail"),
]
