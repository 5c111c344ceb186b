"""Placeholder: being written."""

from django.http import HttpRequest, HttpResponse


def userinfo_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse(status=501)
