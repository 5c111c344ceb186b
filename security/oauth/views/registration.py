"""Placeholder: being written."""

from django.http import HttpRequest, HttpResponse


def registration_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse(status=501)


def registration_detail_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse(status=501)
