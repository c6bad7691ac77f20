from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from clinic import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="home", permanent=False)),
    path("home/", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("staff/", include("clinic.staff_urls")),
    path("portal/", include("portal.urls")),
    path("api/v1/", include("clinic.api_urls")),
    path("admin/", admin.site.urls),
]
