from django.contrib import admin
from django.http import HttpRequest

from apps.paymaster.models import PaymasterApiKey, SponsorshipLedgerEntry, SponsorshipPolicy, Transaction


@admin.register(SponsorshipPolicy)
class SponsorshipPolicyAdmin(admin.ModelAdmin[SponsorshipPolicy]):
    list_display = (
        "name",
        "enabled",
        "priority",
        "chain",
        "global_budget_wei",
        "per_user_budget_wei",
        "per_user_max_ops",
        "starts_at",
        "ends_at",
    )
    list_filter = ("enabled", "chain")
    search_fields = ("name",)


@admin.register(SponsorshipLedgerEntry)
class SponsorshipLedgerEntryAdmin(admin.ModelAdmin[SponsorshipLedgerEntry]):
    list_display = ("created_at", "policy", "sender", "status", "reserved_wei", "settled_wei", "user_op_hash")
    list_filter = ("status", "policy")
    search_fields = ("sender", "user_op_hash")
    readonly_fields = [f.name for f in SponsorshipLedgerEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SponsorshipLedgerEntry | None = None) -> bool:
        return False


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin[Transaction]):
    list_display = (
        "created_at",
        "user",
        "chain",
        "purpose",
        "status",
        "sponsored",
        "actual_gas_cost_wei",
        "user_op_hash",
    )
    list_filter = ("status", "sponsored", "chain", "purpose")
    search_fields = ("user_op_hash", "tx_hash", "account__address", "user__username")
    readonly_fields = [f.name for f in Transaction._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(PaymasterApiKey)
class PaymasterApiKeyAdmin(admin.ModelAdmin[PaymasterApiKey]):
    list_display = ("name", "enabled", "created_at")
    filter_horizontal = ("policies",)
    readonly_fields = ("key_hash",)
