from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as app_urlpatterns


@csrf_exempt
def trivial(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/trivial/", trivial), *app_urlpatterns]
