from django.http import HttpResponse
from django.urls import path


def dashboard(request):
    return HttpResponse("<h1>Lumen Orders back-office</h1>")


urlpatterns = [path("backoffice/", dashboard), path("", dashboard)]
