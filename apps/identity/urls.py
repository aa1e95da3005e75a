from django.urls import path

from apps.identity.api import views

urlpatterns = [
    path("auth/register/options", views.RegisterOptionsView.as_view()),
    path("auth/register/verify", views.RegisterVerifyView.as_view()),
    path("auth/login/options", views.LoginOptionsView.as_view()),
    path("auth/login/verify", views.LoginVerifyView.as_view()),
    path("auth/refresh", views.RefreshView.as_view()),
    path("auth/logout", views.LogoutView.as_view()),
    path("me", views.MeView.as_view()),
    path("devices", views.DeviceListView.as_view()),
    path("devices/options", views.DeviceAddOptionsView.as_view()),
    path("devices/verify", views.DeviceAddVerifyView.as_view()),
    path("devices/<uuid:device_id>", views.DeviceDetailView.as_view()),
    path("sessions", views.SessionListView.as_view()),
    path("sessions/revoke-all", views.SessionRevokeAllView.as_view()),
    path("sessions/<uuid:session_id>", views.SessionDetailView.as_view()),
    path("step-up/options", views.StepUpOptionsView.as_view()),
    path("step-up/verify", views.StepUpVerifyView.as_view()),
    path("rewards", views.RewardsView.as_view()),
    path("rewards/history", views.RewardHistoryView.as_view()),
]
