"""Placeholder: being written."""

from django.http import HttpRequest, HttpResponse


def par_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse(status=501)
