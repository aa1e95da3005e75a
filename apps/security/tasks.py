"""Security tasks: work the client does not wait for. Thin, idempotent, retried on transient chain errors."""

from celery import Task, shared_task

from apps.chain.errors import ChainUnavailable
from apps.security.errors import SimulationUnavailable


@shared_task(
    bind=True, acks_late=True, autoretry_for=(ChainUnavailable, SimulationUnavailable), retry_backoff=5, max_retries=6
)
def rescore_simulation_task(self: Task[[str], str | None], simulation_id: str) -> str | None:
    """Score one stored scan again (history re-scoring). Safe to run twice: the result only depends on the lists."""
    from apps.security.services import simulation_rescore

    simulation = simulation_rescore(simulation_id=simulation_id)
    return None if simulation is None else simulation.action


@shared_task(bind=True, acks_late=True)
def threat_list_rescan_task(self: Task[[int | None], int], since_days: int | None = None) -> int:
    """After the threat list changed: re-score recent scans that touched a listed address (one task each)."""
    from apps.security.services import threat_list_rescan

    matches = threat_list_rescan(since_days=since_days)
    for simulation_id in matches:
        rescore_simulation_task.delay(simulation_id)
    return len(matches)
