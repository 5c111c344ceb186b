"""Staff SSO routes, included by bank/urls.py only when SSO is configured (mTLS listener)."""

from django.urls import path

from security.staff_sso import views

app_name = "staff_sso"

urlpatterns = [
    path("authenticate/", views.StaffSsoAuthenticateView.as_view(), name="authenticate"),
    path("callback/", views.StaffSsoCallbackView.as_view(), name="callback"),
    path("step-up/", views.StaffSsoStepUpView.as_view(), name="step_up"),
]
