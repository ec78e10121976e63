"""Every SQS queue of the platform, defined once: the CDK stack, the local runtime and the tests read
`QUEUES` (the environment variable carrying each queue's URL is derived here too)."""

from __future__ import annotations

from dataclasses import dataclass

from sas_common.capabilities import FUNCTIONS, Capability


@dataclass(frozen=True)
class QueueDef:
    logical_name: str
    purpose: str
    # The function that consumes it: `<capability>.handler.<consumer_entrypoint>`, an SQS event source.
    consumer: Capability
    consumer_entrypoint: str
    # Receives before a message goes to the dead-letter queue (a consumer crash, not an editor's fault).
    max_receive_count: int = 3
    # Messages the consumer gets per invocation (partial failures reported per message). One: a poll
    # batch may take a good part of the consumer's timeout when an editor is slow.
    batch_size: int = 1
    # At most this many consumer invocations at once (SQS event source maximum concurrency, ≥ 2): with
    # each editor's request budget (`max_requests_per_minute`), what bounds the load we put on editors.
    max_concurrency: int = 10
    retention_days: int = 1
    dead_letter_retention_days: int = 14

    @property
    def visibility_timeout_seconds(self) -> int:
        """How long a received message stays hidden: six times the consumer's timeout, as AWS advises."""
        return 6 * FUNCTIONS[self.consumer].timeout_seconds

    @property
    def env_var(self) -> str:
        """The Lambda environment variable that carries this queue's URL."""
        return f"QUEUE_{self.logical_name.upper()}"

    @property
    def dead_letter_name(self) -> str:
        return f"{self.logical_name}_dead_letters"


# One message per batch of an editor poll run (up to 25 national ids, or 10 SOS association SIRETs):
# filled by the dispatcher on each editor's schedule, drained by the poll worker.
EDITOR_POLLS = QueueDef(
    logical_name="editor_polls",
    purpose="one message per batch of an editor poll run",
    consumer=Capability.INGEST,
    consumer_entrypoint="poll_worker_handler",
)

# One message per (regulator account version, level-2 editor) to send (flow INT_R02): filled when an account
# is saved (and when sending a removal at once failed in a way a retry may fix), drained by the booking
# capability's `regulator_sync_worker_handler`. An editor's 5xx, 429 or timeout fails the message: it comes
# back after the visibility timeout, and goes to the dead letters after `max_receive_count` receives.
REGULATOR_SYNC = QueueDef(
    logical_name="regulator_sync",
    purpose="one message per regulator account version to send to a level-2 editor (INT_R02)",
    consumer=Capability.BOOKING,
    consumer_entrypoint="regulator_sync_worker_handler",
)

QUEUES: tuple[QueueDef, ...] = (EDITOR_POLLS, REGULATOR_SYNC)
