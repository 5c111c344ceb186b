"""The authorization server's endpoints, at the root of the issuer."""

from django.urls import path

from security.oauth.views import (
    arrangement_revocation,
    authorize,
    discovery,
    introspection,
    par,
    registration,
    revocation,
    token,
    userinfo,
)

app_name = "oauth"

urlpatterns = [
    path(".well-known/openid-configuration", discovery.openid_configuration_view, name="discovery"),
    path("jwks", discovery.jwks_view, name="jwks"),
    path("par", par.par_view, name="par"),
    path("authorize", authorize.authorize_view, name="authorize"),
    path("token", token.token_view, name="token"),
    path("introspect", introspection.introspection_view, name="introspect"),
    path("revoke", revocation.revocation_view, name="revoke"),
    path("arrangements/revoke", arrangement_revocation.arrangement_revocation_view,
         name="arrangement-revoke"),
    path("userinfo", userinfo.userinfo_view, name="userinfo"),
    path("register", registration.registration_view, name="register"),
    path("register/<str:client_id>", registration.registration_detail_view,
         name="register-detail"),
]
