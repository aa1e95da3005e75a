from django.urls import path

from apps.security import api

urlpatterns = [
    path("security/scan/transaction", api.ScanTransactionView.as_view()),
    path("security/scan/user-operation", api.ScanUserOperationView.as_view()),
    path("security/scan/message", api.ScanMessageView.as_view()),
    path("security/feedback", api.FeedbackView.as_view()),
    path("security/simulations/<uuid:simulation_id>", api.SimulationDetailView.as_view()),
]
