from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from clinic import views
from clinic.security import account_views
from clinic.security import views as security_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="home", permanent=False)),
    path("home/", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    # One sign-in for staff, patients and the admin (clinic.security): these come before the views they replace.
    path("accounts/login/", security_views.SignInView.as_view(), name="login"),
    path("portal/login/", security_views.PortalSignInView.as_view(), name="portal_login"),
    path("admin/login/", security_views.SignInView.as_view(), name="admin_login"),
    path("", include("clinic.security.urls")),
    # Django's password change and reset-confirm views, audited; the rest of django.contrib.auth.urls as it is.
    path(
        "accounts/password_change/",
        account_views.AuditedPasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        account_views.AuditedPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("staff/", include("clinic.staff_urls")),
    path("portal/", include("portal.urls")),
    path("api/v1/", include("clinic.api_urls")),
    path("admin/", admin.site.urls),
]
