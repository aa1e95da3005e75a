from django.core.management.base import BaseCommand, CommandError

from lykos.audit.anchor import AnchorError, audit_anchor_check
from lykos.audit.models import AuditEvent
from lykos.audit.services import audit_chain_problems


class Command(BaseCommand):
    help = (
        "Verify the audit log's hash chain and its latest external anchor; exits non-zero naming each row that"
        " was modified or removed, and rows cut off the end of the chain."
    )

    def handle(self, *args: object, **options: object) -> None:
        problems = [f"audit event {p.event_id}: {p.problem}" for p in audit_chain_problems()]
        total = AuditEvent.objects.count()
        try:
            anchor, anchor_problem = audit_anchor_check()
        except AnchorError as exc:
            raise CommandError(f"Audit anchor unreadable: {exc}") from exc
        if anchor_problem:
            problems.append(f"anchor: {anchor_problem}")
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"Audit chain broken: {len(problems)} problem(s) in {total} event(s).")
        anchored = f"; anchored at seq {anchor.seq} ({anchor.anchored_at.isoformat()})" if anchor else ""
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {total} event(s) verified{anchored}."))
