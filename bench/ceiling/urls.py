"""``/connexion``: the form checked, the password verified, a redirect; ``/healthz`` as Préau's."""

from __future__ import annotations

import os

from django.contrib.auth.hashers import check_password
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path
from django.views.decorators.csrf import csrf_protect

from preau import health
from preau.signin.forms import SigninForm

# The hash the bench's accounts share (the benchmark passes it).
HASH = os.environ.get("BENCH_CEILING_HASH", "")


@csrf_protect
def signin(request: HttpRequest) -> HttpResponse:
    form = SigninForm(request.POST)
    if request.method != "POST" or not form.is_valid():
        return HttpResponse(status=400)
    if not check_password(form.cleaned_data["password"], HASH):
        return HttpResponse(status=401)
    return HttpResponseRedirect("/")


urlpatterns = [
    path("connexion", signin),
    path("healthz", health.healthz),
]
