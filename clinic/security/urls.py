from django.urls import path

from clinic.security import account_views, api, breakglass_views, views

app_name = "security"

urlpatterns = [
    path("accounts/login/code/", views.SignInCodeView.as_view(), name="sign_in_code"),
    path("accounts/login/set-up/", views.SignInEnrolView.as_view(), name="sign_in_enrol"),
    path("accounts/security/", account_views.AccountSecurityView.as_view(), name="account"),
    path("accounts/security/two-step/", views.SignInEnrolView.as_view(), name="mfa_enrol"),
    path("accounts/keep-alive/", account_views.keep_alive, name="keep_alive"),
    path("staff/break-glass/", breakglass_views.BreakGlassView.as_view(), name="break_glass"),
    path("api/v1/auth/token/", api.ObtainTokenView.as_view(), name="api_token"),
    path("api/v1/auth/logout/", api.RevokeTokenView.as_view(), name="api_logout"),
]
