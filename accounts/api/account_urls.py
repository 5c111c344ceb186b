from django.urls import path

from accounts.api import account_views as views

app_name = "accounts"

# Literal paths before `accounts/<account_id>`: an accountId never equals them (IDs are
# 32 base64url characters), but the order makes that not matter.
urlpatterns = [
    path("accounts", views.AccountListApi.as_view(), name="list"),
    path("accounts/balances", views.BalanceListApi.as_view(), name="balances"),
    path("accounts/<str:account_id>", views.AccountDetailApi.as_view(), name="detail"),
    path("accounts/<str:account_id>/balance", views.AccountBalanceApi.as_view(), name="balance"),
]
