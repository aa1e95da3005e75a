from django.urls import path

from apps.chain.api import views

urlpatterns = [
    path("accounts", views.AccountListView.as_view()),
]
