from django.urls import path

from apps.paymaster.api import views as api

urlpatterns = [
    path("transactions", api.TransactionListView.as_view()),
    path("transactions/<uuid:transaction_id>", api.TransactionDetailView.as_view()),
    path("transactions/<uuid:transaction_id>/sign", api.TransactionSignView.as_view()),
    path("devices/<uuid:device_id>/owner-change", api.DeviceOwnerChangeView.as_view()),
    path("devices/<uuid:device_id>/revoke/options", api.DeviceRevokeOptionsView.as_view()),
    path("devices/<uuid:device_id>/revoke", api.DeviceRevokeView.as_view()),
    path("devices/<uuid:device_id>/revocation", api.DeviceRevocationView.as_view()),
]
