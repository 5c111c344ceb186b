"""Placeholder: being written."""

from django.http import HttpRequest, HttpResponse


def introspection_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse(status=501)
