from django.urls import include, path

from tests.testapp import views

urlpatterns = [
    path("api/v1/test/echo", views.EchoView.as_view()),
    path("api/v1/test/private", views.PrivateView.as_view()),
    path("api/v1/test/auth-limited", views.AuthLimitedView.as_view()),
    path("api/v1/test/crash", views.CrashView.as_view()),
    path("", include("lykos.urls")),
]
handler404 = "lykos.errors.handler404"
handler500 = "lykos.errors.handler500"
