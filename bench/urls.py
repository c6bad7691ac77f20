"""The product's URLs, and the benchmark's two floor views beside them, behind the same middleware."""

from django.urls import include, path

from bench import floor

urlpatterns = [
    path("bench/floor/template/", floor.TemplateFloorView.as_view(), name="bench-floor-template"),
    path("bench/floor/drf/", floor.DrfFloorView.as_view(), name="bench-floor-drf"),
    path("", include("clinic.urls")),
]
