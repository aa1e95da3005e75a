from django.urls import path

from apps.security.api import views

urlpatterns = [
    path("security/scan/transaction", views.ScanTransactionView.as_view()),
    path("security/scan/user-operation", views.ScanUserOperationView.as_view()),
    path("security/scan/message", views.ScanMessageView.as_view()),
    path("security/feedback", views.FeedbackView.as_view()),
    path("security/simulations/<uuid:simulation_id>", views.SimulationDetailView.as_view()),
]
