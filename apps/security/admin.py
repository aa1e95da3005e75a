"""The fraud reviewer's admin: the review queue (filters, search, timeline, approve / reject / freeze / unfreeze,
each through a service and audited), the threat list, trusted addresses, scans and freezes (read-only).

Every action declares the permission it needs (`security.review_case`, `security.freeze_account`,
`security.manage_threat_lists`); a staff member with view permissions only sees the queue, and a posted action
their permissions do not allow answers 403 (`lykos.admin_site.PermissionedModelAdmin`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from apps.identity.requests import authenticated_user
from apps.security import services
from apps.security.models import (
    AccountFreeze,
    KnownAddress,
    ReviewCase,
    ReviewCaseEvent,
    ThreatListEntry,
    TransactionSimulation,
)
from lykos.admin_site import PermissionedModelAdmin
from lykos.errors import LykosError

_M = TypeVar("_M", bound=Model)


class _ReadOnly(admin.ModelAdmin[_M]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False


class ReviewCaseEventInline(admin.TabularInline[ReviewCaseEvent, ReviewCase]):
    model = ReviewCaseEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("created_at", "kind", "actor", "message", "data")
    verbose_name_plural = "timeline"

    def has_add_permission(self, request: HttpRequest, obj: ReviewCase | None = None) -> bool:
        return False


class ManualCaseForm(forms.ModelForm[ReviewCase]):
    class Meta:
        model = ReviewCase
        fields = ["user", "priority", "summary"]


class FrozenFilter(admin.SimpleListFilter):
    title = "account frozen"
    parameter_name = "frozen"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, str]]:
        return [("yes", "Frozen"), ("no", "Not frozen")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ReviewCase]) -> QuerySet[ReviewCase]:
        frozen = AccountFreeze.objects.filter(lifted_at__isnull=True).values("user_id")
        if self.value() == "yes":
            return queryset.filter(user_id__in=frozen)
        if self.value() == "no":
            return queryset.exclude(user_id__in=frozen)
        return queryset


_CASE_FIELDS = (
    "user",
    "status",
    "priority",
    "open_reason",
    "close_reason",
    "assignee",
    "opened_by",
    "summary",
    "linked_view",
    "opened_at",
    "closed_at",
    "closed_by",
    "frozen",
)


def _allowed(request: HttpRequest, permission: str) -> bool:
    return request.user.has_perm(f"security.{permission}")


@admin.register(ReviewCase)
class ReviewCaseAdmin(PermissionedModelAdmin[ReviewCase]):
    list_display = [
        "id",
        "user",
        "status",
        "priority",
        "open_reason",
        "close_reason",
        "assignee",
        "frozen",
        "opened_at",
    ]
    list_filter = ["status", "priority", "open_reason", "close_reason", FrozenFilter, "assignee"]
    search_fields = ["=id", "=user__id", "user__username", "summary"]
    date_hierarchy = "opened_at"
    list_select_related = ["user", "assignee"]
    inlines = [ReviewCaseEventInline]
    actions = ["approve", "reject", "freeze_account", "unfreeze_account", "assign_to_me"]
    fields = readonly_fields = _CASE_FIELDS

    def get_form(
        self, request: HttpRequest, obj: ReviewCase | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[ReviewCase]]:
        if obj is None:
            kwargs["form"] = ManualCaseForm
            kwargs["fields"] = ManualCaseForm.Meta.fields
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: ReviewCase | None = None) -> tuple[str, ...]:
        return tuple(ManualCaseForm.Meta.fields) if obj is None else _CASE_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: ReviewCase | None = None) -> tuple[str, ...]:
        return () if obj is None else _CASE_FIELDS

    def get_inlines(self, request: HttpRequest, obj: ReviewCase | None) -> list[type[InlineModelAdmin[Any, Any]]]:
        return [] if obj is None else self.inlines

    def has_delete_permission(self, request: HttpRequest, obj: ReviewCase | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _allowed(request, "review_case")

    def has_review_case_permission(self, request: HttpRequest) -> bool:
        return _allowed(request, "review_case")

    def has_freeze_account_permission(self, request: HttpRequest) -> bool:
        return _allowed(request, "freeze_account")

    def save_model(self, request: HttpRequest, obj: ReviewCase, form: Any, change: bool) -> None:
        """Manual cases open through the same service as automatic ones (idempotent, audited)."""
        if change:
            return
        case = services.review_case_open(
            user=obj.user,
            reason=ReviewCase.OpenReason.MANUAL,
            priority=obj.priority,
            opened_by=authenticated_user(request),
            summary=obj.summary,
        )
        obj.pk = case.pk
        obj._state.adding = False

    @admin.display(boolean=True, description="frozen")
    def frozen(self, obj: ReviewCase) -> bool:
        return services.account_is_frozen(user=obj.user)

    @admin.display(description="linked")
    def linked_view(self, obj: ReviewCase) -> str:
        rows = [(key, ", ".join(values)) for key, values in sorted((obj.linked or {}).items())]
        return format_html("<dl>{}</dl>", format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows)) if rows else "-"

    def _each(
        self, request: HttpRequest, queryset: QuerySet[ReviewCase], action: Callable[[ReviewCase], object], done: str
    ) -> None:
        count = 0
        for case in queryset:
            try:
                action(case)
            except LykosError as exc:
                self.message_user(request, f"Case {case.pk}: {exc.message}", messages.ERROR)
            else:
                count += 1
        self.message_user(request, f"{done}: {count} case(s).", messages.SUCCESS)

    @admin.action(description="Approve (legitimate; close the case)", permissions=["review_case"])
    def approve(self, request: HttpRequest, queryset: QuerySet[ReviewCase]) -> None:
        reviewer = authenticated_user(request)
        self._each(
            request, queryset, lambda c: services.review_case_approve(case_id=c.pk, reviewer=reviewer), "Approved"
        )

    @admin.action(description="Reject (fraudulent; close the case)", permissions=["review_case"])
    def reject(self, request: HttpRequest, queryset: QuerySet[ReviewCase]) -> None:
        reviewer = authenticated_user(request)
        self._each(
            request, queryset, lambda c: services.review_case_reject(case_id=c.pk, reviewer=reviewer), "Rejected"
        )

    @admin.action(description="Freeze the account (no sponsorship, no submission)", permissions=["freeze_account"])
    def freeze_account(self, request: HttpRequest, queryset: QuerySet[ReviewCase]) -> None:
        reviewer = authenticated_user(request)
        self._each(
            request,
            queryset,
            lambda c: services.review_case_freeze_account(case_id=c.pk, reviewer=reviewer),
            "Frozen",
        )

    @admin.action(description="Unfreeze the account", permissions=["freeze_account"])
    def unfreeze_account(self, request: HttpRequest, queryset: QuerySet[ReviewCase]) -> None:
        reviewer = authenticated_user(request)
        self._each(
            request,
            queryset,
            lambda c: services.review_case_unfreeze_account(case_id=c.pk, reviewer=reviewer),
            "Unfrozen",
        )

    @admin.action(description="Assign to me", permissions=["review_case"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[ReviewCase]) -> None:
        reviewer = authenticated_user(request)
        self._each(
            request,
            queryset,
            lambda c: services.review_case_assign(case_id=c.pk, assignee=reviewer, actor=reviewer),
            "Assigned",
        )


@admin.register(ThreatListEntry)
class ThreatListEntryAdmin(PermissionedModelAdmin[ThreatListEntry]):
    list_display = ["address", "chain", "category", "source", "active", "added_at"]
    list_filter = ["category", "source", "active", "chain"]
    search_fields = ["address", "source", "note"]
    fields = ["address", "chain", "category", "source", "note", "active"]
    actions = ["deactivate", "activate"]

    def get_readonly_fields(self, request: HttpRequest, obj: ThreatListEntry | None = None) -> list[str]:
        return ["address", "chain"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: ThreatListEntry | None = None) -> bool:
        return False  # deactivate instead: the history of what was listed stays

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _allowed(request, "manage_threat_lists")

    def has_change_permission(self, request: HttpRequest, obj: ThreatListEntry | None = None) -> bool:
        return _allowed(request, "manage_threat_lists")

    def has_manage_threat_lists_permission(self, request: HttpRequest) -> bool:
        return _allowed(request, "manage_threat_lists")

    def save_model(self, request: HttpRequest, obj: ThreatListEntry, form: Any, change: bool) -> None:
        entry, _ = services.threat_entry_upsert(
            address=obj.address,
            chain=obj.chain,
            category=obj.category,
            source=obj.source,
            note=obj.note,
            active=obj.active,
            actor=authenticated_user(request),
        )
        obj.pk = entry.pk
        obj._state.adding = False

    def _set_active(self, request: HttpRequest, queryset: QuerySet[ThreatListEntry], active: bool) -> None:
        actor = authenticated_user(request)
        for entry in queryset:
            services.threat_entry_upsert(
                address=entry.address,
                chain=entry.chain,
                category=entry.category,
                source=entry.source,
                note=entry.note,
                active=active,
                actor=actor,
            )
        self.message_user(request, f"{queryset.count()} entr(y/ies) {'activated' if active else 'deactivated'}.")

    @admin.action(description="Deactivate", permissions=["manage_threat_lists"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[ThreatListEntry]) -> None:
        self._set_active(request, queryset, False)

    @admin.action(description="Activate", permissions=["manage_threat_lists"])
    def activate(self, request: HttpRequest, queryset: QuerySet[ThreatListEntry]) -> None:
        self._set_active(request, queryset, True)


@admin.register(KnownAddress)
class KnownAddressAdmin(admin.ModelAdmin[KnownAddress]):
    """Trusted spenders silence warnings: changing them is managing the threat lists, and goes through the
    audited service."""

    list_display = ["label", "address", "chain", "created_at"]
    list_filter = ["chain"]
    search_fields = ["label", "address"]
    fields = ["address", "chain", "label"]

    def get_readonly_fields(self, request: HttpRequest, obj: KnownAddress | None = None) -> list[str]:
        return ["address", "chain"] if obj is not None else []

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _allowed(request, "manage_threat_lists")

    def has_change_permission(self, request: HttpRequest, obj: KnownAddress | None = None) -> bool:
        return _allowed(request, "manage_threat_lists")

    def has_delete_permission(self, request: HttpRequest, obj: KnownAddress | None = None) -> bool:
        return False  # an unaudited delete would silence warnings without a trace

    def save_model(self, request: HttpRequest, obj: KnownAddress, form: Any, change: bool) -> None:
        row = services.known_address_upsert(
            address=obj.address, label=obj.label, chain=obj.chain, actor=authenticated_user(request)
        )
        obj.pk = row.pk
        obj._state.adding = False


@admin.register(TransactionSimulation)
class TransactionSimulationAdmin(_ReadOnly[TransactionSimulation]):
    list_display = ["id", "user", "kind", "chain", "action", "score", "status", "from_cache", "created_at"]
    list_filter = ["kind", "action", "status", "backend", "from_cache"]
    search_fields = ["=id", "=user__id", "user__username", "account_address"]
    date_hierarchy = "created_at"


@admin.register(AccountFreeze)
class AccountFreezeAdmin(_ReadOnly[AccountFreeze]):
    list_display = ["user", "frozen_at", "frozen_by", "lifted_at", "lifted_by", "case"]
    search_fields = ["=user__id", "user__username"]
