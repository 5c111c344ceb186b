from django import template
from django.urls import NoReverseMatch, reverse

from security.staff_sso.config import sso_enabled

register = template.Library()


@register.simple_tag
def staff_sso_login_url() -> str:
    """The SSO sign-in URL, or "" when SSO is off (the admin login page shows no link)."""
    if not sso_enabled():
        return ""
    try:
        return reverse("staff_sso:authenticate")
    except NoReverseMatch:
        return ""
