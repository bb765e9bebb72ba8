"""Pages a person uses in a browser (filled in below the API)."""
from django.shortcuts import render
from django.urls import path

from .models import SimAccount


def index(request):
    return render(request, "sandbox/freshbooks/index.html", {"accounts": SimAccount.objects.all()})


urlpatterns = [path("", index, name="index")]
