from django.core.management.base import BaseCommand, CommandError

from lykos.audit.models import AuditEvent
from lykos.audit.services import audit_chain_problems


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exits non-zero naming each row that was modified or removed."

    def handle(self, *args: object, **options: object) -> None:
        problems = list(audit_chain_problems())
        total = AuditEvent.objects.count()
        if problems:
            for problem in problems:
                self.stderr.write(f"audit event {problem.event_id}: {problem.problem}")
            raise CommandError(f"Audit chain broken: {len(problems)} problem(s) in {total} event(s).")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {total} event(s) verified."))
