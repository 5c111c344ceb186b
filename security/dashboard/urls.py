"""The customer's data-sharing dashboard (security/dashboard/views.py), under /dashboard/."""

from django.urls import path

from security.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.arrangements_view, name="arrangements"),
    path("login", views.login_view, name="login"),
    path("login/code", views.code_view, name="code"),
    path("logout", views.logout_view, name="logout"),
    path("arrangements/<int:pk>", views.arrangement_view, name="arrangement"),
    path("arrangements/<int:pk>/stop", views.stop_view, name="stop"),
]
