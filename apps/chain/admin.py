from django.contrib import admin

from apps.chain.models import Account, Chain, Token


class TokenInline(admin.TabularInline[Token, Chain]):
    model = Token
    extra = 0


@admin.register(Chain)
class ChainAdmin(admin.ModelAdmin[Chain]):
    list_display = (
        "chain_id",
        "name",
        "enabled",
        "rpc_url",
        "bundler_url",
        "entry_point",
        "account_factory",
        "paymaster",
    )
    list_filter = ("enabled",)
    search_fields = ("name", "chain_id")
    inlines = [TokenInline]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin[Account]):
    list_display = ("address", "chain", "user", "kind", "deployed", "created_at")
    list_filter = ("chain", "kind", "deployed")
    search_fields = ("address", "user__username", "user__id")
    raw_id_fields = ("user", "initial_owner")
    readonly_fields = ("address", "salt", "created_at", "deployed_at")
