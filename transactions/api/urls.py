from django.urls import path

from transactions.api import payee_views, payment_views, transaction_views

app_name = "transactions"

urlpatterns = [
    # Bulk endpoints under accounts/: literal, so listed before any accounts/<account_id>.
    path(
        "accounts/direct-debits",
        payment_views.DirectDebitListApi.as_view(),
        name="direct-debits",
    ),
    path(
        "accounts/payments/plans",
        payment_views.InstalmentPlanListApi.as_view(),
        name="plans",
    ),
    path(
        "accounts/<str:account_id>/transactions",
        transaction_views.TransactionListApi.as_view(),
        name="transactions",
    ),
    path(
        "accounts/<str:account_id>/transactions/<str:transaction_id>",
        transaction_views.TransactionDetailApi.as_view(),
        name="transaction-detail",
    ),
    path(
        "accounts/<str:account_id>/direct-debits",
        payment_views.AccountDirectDebitListApi.as_view(),
        name="account-direct-debits",
    ),
    path(
        "accounts/<str:account_id>/payments/scheduled",
        payment_views.AccountScheduledPaymentListApi.as_view(),
        name="account-scheduled-payments",
    ),
    path(
        "accounts/<str:account_id>/payments/plans",
        payment_views.AccountInstalmentPlanListApi.as_view(),
        name="account-plans",
    ),
    path(
        "payments/scheduled",
        payment_views.ScheduledPaymentListApi.as_view(),
        name="scheduled-payments",
    ),
    path("payees", payee_views.PayeeListApi.as_view(), name="payees"),
    path("payees/<str:payee_id>", payee_views.PayeeDetailApi.as_view(), name="payee-detail"),
]
