"""`make run`'s stand-in for the demo territory's editor: the FHIR test double (`fhir_editor.FakeEditor`)
listening where the territory file points the editor (a local address), serving slots for the demo
effecteur who declared it, so `POST /_local/jobs/poll-editors` brings editor slots from the first start.

When that port is taken, the platform still runs: a one-line warning says so, polls of the editor fail and
are reported as for any editor that is down, and the double starts as soon as the port is free."""

from __future__ import annotations

import errno
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sas_common.territory import EditorConfig, TerritoryConfig
from sas_local.fhir_editor import FakeEditor, FakePlace, FakeSlot
from sas_local.seed import DEMO_EFFECTEURS, editor_synced_effecteur

LOCAL_HOSTS = ("127.0.0.1", "localhost")
SLOT_MINUTES = 30
HOURS = (time(14, 0), time(18, 0))  # each afternoon, local time
RETRY_SECONDS = 1.0  # how often a taken port is tried again

Clock = Callable[[], datetime]


def afternoon_slots(now: datetime, zone: ZoneInfo, days: int = 3) -> list[FakeSlot]:
    """Half-hour slots from 14:00 to 18:00 local time, from today, those still to come in the next 48 h."""
    slots = []
    today = now.astimezone(zone).date()
    for day in range(days):
        date = today + timedelta(days=day)
        start, last = datetime.combine(date, HOURS[0], zone), datetime.combine(date, HOURS[1], zone)
        while start < last:
            end = start + timedelta(minutes=SLOT_MINUTES)
            if now < start < now + timedelta(hours=48):
                slots.append(FakeSlot(start, end, ("SNP", "PRO"), ("AMB",)))
            start = end
    return slots


def _now() -> datetime:
    return datetime.now(UTC)


def _say(line: str) -> None:
    print(line, flush=True)


def _warn(line: str) -> None:
    print(f"warning: {line}", file=sys.stderr, flush=True)


class DemoEditor:
    """The double for one editor at one local address: started at once, or once its port is free."""

    def __init__(
        self, territory: TerritoryConfig, national_id: str, editor: EditorConfig, host: str, port: int
    ) -> None:
        self._territory = territory
        self._national_id = national_id
        self.editor_id = editor.id
        self.host, self.port = host, port
        self._lock = threading.Lock()
        self._double: FakeEditor | None = None
        self._stopping = threading.Event()
        self._waiting: threading.Thread | None = None

    @property
    def running(self) -> bool:
        with self._lock:
            return self._double is not None

    def start(self, clock: Clock = _now) -> DemoEditor:
        """Serve now, saying where; if the port is taken, warn (one line) and keep trying in the background.

        Any other reason it cannot listen is warned about too, and not retried."""
        try:
            self._serve(clock())
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                _warn(self._unavailable(error.strerror or str(error), "will fail"))
                return self
            _warn(self._unavailable("port in use", "will fail until it is free"))
            self._waiting = threading.Thread(
                target=self._wait_for_port, args=(clock,), name="demo-editor-port", daemon=True
            )
            self._waiting.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._waiting is not None:
            self._waiting.join(timeout=5)
        with self._lock:
            double, self._double = self._double, None
        if double is not None:
            double.stop()

    def _unavailable(self, reason: str, consequence: str) -> str:
        return (
            f"the demo editor could not start on {self.host}:{self.port} ({reason}): "
            f"polling {self.editor_id} {consequence}"
        )

    def _wait_for_port(self, clock: Clock) -> None:
        while not self._stopping.wait(RETRY_SECONDS):
            try:
                self._serve(clock())
            except OSError:
                continue
            return

    def _serve(self, now: datetime) -> None:
        """Bind the port (OSError when it cannot), fill the catalogue, serve and say where."""
        double = FakeEditor(host=self.host, port=self.port)
        effecteur, places = next((e, p) for e, p in DEMO_EFFECTEURS if e.national_id == self._national_id)
        place = places[-1]
        double.add_practitioner_slots(
            self._national_id,
            afternoon_slots(now, self._territory.zone),
            FakePlace(
                place.address,
                place.postal_code or "",
                place.city or "",
                place.position.lat if place.position else None,
                place.position.lon if place.position else None,
                phone=place.phone,
                name=place.name,
            ),
            family=effecteur.last_name,
            given=effecteur.first_name,
        )
        with self._lock:
            stopped = self._stopping.is_set()
            if not stopped:
                self._double = double.start()
        if stopped:
            double.start().stop()  # a server that never served cannot be shut down
            return
        _say(f"demo editor (FHIR test double) on {double.base_url}")


def start_demo_editor(territory: TerritoryConfig, clock: Clock = _now) -> DemoEditor | None:
    """The double for the editor the demo effecteur declared, if the territory points it at this machine
    (None when there is none); see `DemoEditor.start` for a taken port."""
    synced = editor_synced_effecteur(territory)
    if synced is None:
        return None
    national_id, editor = synced
    url = urlsplit(str(editor.fhir_base_url))
    if url.hostname not in LOCAL_HOSTS or url.port is None:
        return None
    return DemoEditor(territory, national_id, editor, url.hostname, url.port).start(clock)
