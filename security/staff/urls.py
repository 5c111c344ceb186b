"""The staff console's own pages, mounted under /admin/staff/ (mTLS listener only) and
behind the admin site's gate (admin_view)."""

from django.contrib import admin
from django.urls import path

from security.staff import views

app_name = "staff"

urlpatterns = [
    path("unmask/<str:model>/<str:pk>/<str:field>/", admin.site.admin_view(views.unmask),
         name="unmask"),
]
