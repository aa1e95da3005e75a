from django.urls import path

from apps.chain import api

urlpatterns = [
    path("accounts", api.AccountListView.as_view()),
]
