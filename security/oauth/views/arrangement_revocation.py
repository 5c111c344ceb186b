"""Placeholder: being written."""

from django.http import HttpRequest, HttpResponse


def arrangement_revocation_view(request: HttpRequest, *args: object, **kw: object) -> HttpResponse:
    return HttpResponse(status=501)
