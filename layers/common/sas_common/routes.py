"""Every HTTP route of the platform, defined once.

The CDK stack creates one HTTP API route per entry (with the JWT authorizer when `action` is set), the
local runtime dispatches on the same table, and each capability's resolver registers its handlers against
these constants (a test checks both sides agree).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sas_common.auth import Action
from sas_common.capabilities import Capability

_PARAM = re.compile(r"\{(\w+)\}")


class Body(StrEnum):
    """What a route reads in its body; the entry point refuses any other content type (415) before the
    body is parsed (sas_common.bodies)."""

    NONE = "none"
    JSON = "json"  # application/json
    FHIR = "fhir"  # a FHIR resource: application/fhir+json (or application/json)
    TEXT = "text"  # the directory extract: text/plain or text/csv, UTF-8


class Owner(StrEnum):
    """Whose data a route touches, named by its path: the entry point loads it and checks ownership (404,
    then 403) before the request's parameters and body are validated, so a caller learns nothing of the
    rules of data that is not theirs."""

    EFFECTEUR = "effecteur"  # {national_id}
    STRUCTURE = "structure"  # {structure_id}
    EDITOR = "editor"  # the calling editor itself
    REGULATOR = "regulator"  # {regulator_id}: a regulator, themself (eligibility)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway form: /effecteurs/{national_id}
    capability: Capability
    action: Action | None  # None: public, no token
    summary: str
    body: Body = Body.NONE
    owner: Owner | None = None

    @property
    def key(self) -> str:
        """API Gateway's routeKey, which the event carries in `requestContext.routeKey`."""
        return f"{self.method} {self.path}"

    @property
    def resolver_path(self) -> str:
        """The same path in the powertools resolver's syntax (`<national_id>`)."""
        return _PARAM.sub(r"<\1>", self.path)

    @property
    def parameters(self) -> list[str]:
        """Its path parameters' names, in order."""
        return _PARAM.findall(self.path)

    @property
    def pattern(self) -> re.Pattern[str]:
        segments = [
            f"(?P<{m.group(1)}>[^/]+)" if (m := _PARAM.fullmatch(segment)) else re.escape(segment)
            for segment in self.path.split("/")
        ]
        return re.compile("^" + "/".join(segments) + "$")

    @property
    def protected(self) -> bool:
        return self.action is not None

    @property
    def action_required(self) -> Action:
        if self.action is None:
            raise ValueError(f"{self.key} is a public route")
        return self.action


HEALTH = Route("GET", "/health", Capability.META, None, "liveness")
OPENAPI = Route("GET", "/openapi.json", Capability.META, None, "OpenAPI 3 document of every route")
DOCS = Route("GET", "/docs", Capability.META, None, "Swagger UI")
A = Action
AGENDA = Capability.AGENDA
EFF = "/effecteurs/{national_id}"

EFFECTEUR_CARD = Route("GET", EFF, AGENDA, A.READ_CARD, "the effecteur's card", owner=Owner.EFFECTEUR)
DIRECTORY_IMPORT = Route(
    "POST",
    "/directory/imports",
    AGENDA,
    A.IMPORT_DIRECTORY,
    "import the national directory extract (RPPS)",
    body=Body.TEXT,
)
PARTICIPATION_PUT = Route(
    "PUT",
    f"{EFF}/participation",
    AGENDA,
    A.DECLARE_PARTICIPATION,
    "declare participation (a new version)",
    body=Body.JSON,
    owner=Owner.EFFECTEUR,
)
PARTICIPATION_GET = Route(
    "GET",
    f"{EFF}/participation",
    AGENDA,
    A.READ_PARTICIPATION,
    "current declaration and its history",
    owner=Owner.EFFECTEUR,
)
DECLARATIONS_RESET = Route(
    "POST",
    "/participations/reset",
    AGENDA,
    A.RESET_DECLARATIONS,
    "reset every declaration to defaults",
    body=Body.JSON,
)
STRUCTURE_PARTICIPATION_PUT = Route(
    "PUT",
    "/structures/{structure_id}/participation",
    AGENDA,
    A.DECLARE_STRUCTURE_PARTICIPATION,
    "a health centre's or SOS association's declaration",
    body=Body.JSON,
    owner=Owner.STRUCTURE,
)
AVAILABILITY_CREATE = Route(
    "POST",
    f"{EFF}/availabilities",
    AGENDA,
    A.EDIT_AGENDA,
    "create an availability",
    body=Body.JSON,
    owner=Owner.EFFECTEUR,
)
AVAILABILITY_EDIT = Route(
    "PATCH",
    f"{EFF}/availabilities/{{availability_id}}",
    AGENDA,
    A.EDIT_AGENDA,
    "edit occurrence or series",
    body=Body.JSON,
    owner=Owner.EFFECTEUR,
)
AVAILABILITY_DELETE = Route(
    "DELETE",
    f"{EFF}/availabilities/{{availability_id}}",
    AGENDA,
    A.EDIT_AGENDA,
    "delete occurrence or series",
    owner=Owner.EFFECTEUR,
)
AGENDA_GET = Route(
    "GET", f"{EFF}/agenda", AGENDA, A.READ_AGENDA, "occurrences in a span", owner=Owner.EFFECTEUR
)
UNAVAILABILITY_PUT = Route(
    "PUT",
    f"{EFF}/places/{{place_id}}/unavailability",
    AGENDA,
    A.EDIT_UNAVAILABILITY,
    "a place's unavailability (indefinite or up to 3 periods)",
    body=Body.JSON,
    owner=Owner.EFFECTEUR,
)
REGULATOR_INFO_PUT = Route(
    "PUT",
    f"{EFF}/regulator-info",
    AGENDA,
    A.EDIT_REGULATOR_INFO,
    "info for the regulator",
    body=Body.JSON,
    owner=Owner.EFFECTEUR,
)
DELEGATE_REQUEST = Route(
    "POST",
    f"{EFF}/delegates",
    AGENDA,
    A.REQUEST_DELEGATE,
    "request a delegate",
    body=Body.JSON,
    owner=Owner.EFFECTEUR,
)
DELEGATE_APPROVE = Route(
    "POST",
    f"{EFF}/delegates/{{delegate_id}}/approve",
    AGENDA,
    A.APPROVE_DELEGATE,
    "approve a delegate",
    owner=Owner.EFFECTEUR,
)

INGEST = Capability.INGEST
FHIR_BUNDLE_PUSH = Route(
    "POST",
    "/fhir/Bundle",
    INGEST,
    A.EDITOR_PUSH,
    "push of slots (a slot Bundle); replaces the span it covers",
    body=Body.FHIR,
    owner=Owner.EDITOR,
)
FHIR_APPOINTMENT_CREATE = Route(
    "POST",
    "/fhir/Appointment",
    INGEST,
    A.EDITOR_PUSH,
    "appointment record, flow INT_R03: create",
    body=Body.FHIR,
    owner=Owner.EDITOR,
)
FHIR_APPOINTMENT_UPDATE = Route(
    "PUT",
    "/fhir/Appointment",
    INGEST,
    A.EDITOR_PUSH,
    "appointment record, flow INT_R03: conditional update on ?identifier=<system>|<value>",
    body=Body.FHIR,
    owner=Owner.EDITOR,
)
FHIR_APPOINTMENT_READ = Route(
    "GET",
    "/fhir/Appointment/{appointment_id}",
    INGEST,
    A.EDITOR_PUSH,
    "appointment record, flow INT_R03: read (what a create's Location points to; the editor's own only)",
    owner=Owner.EDITOR,
)

SEARCH = Capability.SEARCH
SEARCH_SLOTS = Route(
    "GET", "/search/slots", SEARCH, A.SEARCH, "free slots near a patient, in the platform's neutral order"
)
SEARCH_EN_SUS = Route(
    "GET",
    "/search/en-sus",
    SEARCH,
    A.SEARCH,
    "participating effecteurs accepting extra patients near a patient (en-sus directory)",
)

BOOKING = Capability.BOOKING
BOOKING_CREATE = Route(
    "POST",
    "/bookings",
    BOOKING,
    A.BOOK,
    "book a slot: at its level-2 editor, or held while the regulator phones",
    body=Body.JSON,
)
BOOKING_GET = Route("GET", "/bookings/{booking_id}", BOOKING, A.BOOK, "a booking and its outcome")
BOOKING_CONFIRM = Route(
    "POST",
    "/bookings/{booking_id}/confirm",
    BOOKING,
    A.BOOK,
    "the doctor accepted the patient on the phone: the slot is booked",
)
BOOKING_CANCEL = Route(
    "POST",
    "/bookings/{booking_id}/cancel",
    BOOKING,
    A.BOOK,
    "the phone booking did not happen: the slot is given back",
)
ORIENTATIONS_LIST = Route(
    "GET", "/orientations", BOOKING, A.READ_ORIENTATIONS, "the territory's orientations, without patient data"
)
EFFECTEUR_ORIENTATIONS = Route(
    "GET",
    f"{EFF}/orientations",
    BOOKING,
    A.READ_EFFECTEUR_ORIENTATIONS,
    "the orientations towards an effecteur",
    owner=Owner.EFFECTEUR,
)
ORIENTATION_DONE = Route(
    "POST",
    f"{EFF}/orientations/{{orientation_id}}/done",
    BOOKING,
    A.MARK_ORIENTATION_DONE,
    "mark that the consultation of an orientation took place",
    owner=Owner.EFFECTEUR,
)

ROUTES: tuple[Route, ...] = (
    HEALTH,
    OPENAPI,
    DOCS,
    EFFECTEUR_CARD,
    DIRECTORY_IMPORT,
    PARTICIPATION_PUT,
    PARTICIPATION_GET,
    DECLARATIONS_RESET,
    STRUCTURE_PARTICIPATION_PUT,
    AVAILABILITY_CREATE,
    AVAILABILITY_EDIT,
    AVAILABILITY_DELETE,
    AGENDA_GET,
    UNAVAILABILITY_PUT,
    REGULATOR_INFO_PUT,
    DELEGATE_REQUEST,
    DELEGATE_APPROVE,
    FHIR_BUNDLE_PUSH,
    FHIR_APPOINTMENT_CREATE,
    FHIR_APPOINTMENT_UPDATE,
    FHIR_APPOINTMENT_READ,
    SEARCH_SLOTS,
    SEARCH_EN_SUS,
    BOOKING_CREATE,
    BOOKING_GET,
    BOOKING_CONFIRM,
    BOOKING_CANCEL,
    ORIENTATIONS_LIST,
    EFFECTEUR_ORIENTATIONS,
    ORIENTATION_DONE,
)
ROUTES_BY_KEY: dict[str, Route] = {route.key: route for route in ROUTES}


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route serving (method, path) and its path parameters, or None."""
    for route in ROUTES:
        if route.method == method:
            found = route.pattern.match(path)
            if found:
                return route, found.groupdict()
    return None


# --- eligibility (avenant 9: indicators 8 and 9, liberal regulators' hours, exports) --------------------
ELIGIBILITY = Capability.ELIGIBILITY
REG = "/regulators/{regulator_id}"
EFFECTEUR_ELIGIBILITY = Route(
    "GET",
    f"{EFF}/eligibility",
    ELIGIBILITY,
    A.READ_ELIGIBILITY,
    "avenant 9: indicator 8 (hours per week) for the year so far and indicator 9 for a quarter",
    owner=Owner.EFFECTEUR,
)
STRUCTURE_ELIGIBILITY = Route(
    "GET",
    "/structures/{structure_id}/eligibility",
    ELIGIBILITY,
    A.READ_STRUCTURE_ELIGIBILITY,
    "avenant 9: a structure's indicator 8 (2 h × ETP or general practitioners, each week)",
    owner=Owner.STRUCTURE,
)
ELIGIBILITY_EXPORT_EFFECTEURS = Route(
    "GET",
    "/eligibility/exports/effecteurs",
    ELIGIBILITY,
    A.EXPORT_ELIGIBILITY,
    "CSV: the territory's effecteurs for a quarter (indicator 8 verdict, indicator 9 count, band, amount)",
)
ELIGIBILITY_EXPORT_REGULATION = Route(
    "GET",
    "/eligibility/exports/regulation",
    ELIGIBILITY,
    A.EXPORT_ELIGIBILITY,
    "CSV: the territory's liberal regulators' shifts of a month, each with its paid minutes and amount",
)
SHIFT_LOG = Route(
    "POST",
    f"{REG}/shifts",
    ELIGIBILITY,
    A.LOG_SHIFTS,
    "a liberal regulator logs a shift of the month in progress",
    body=Body.JSON,
    owner=Owner.REGULATOR,
)
SHIFTS_GET = Route(
    "GET",
    f"{REG}/shifts",
    ELIGIBILITY,
    A.READ_SHIFTS,
    "a regulator's shifts of a month and what they are paid",
    owner=Owner.REGULATOR,
)
SHIFT_DELETE = Route(
    "DELETE",
    f"{REG}/shifts/{{shift_id}}",
    ELIGIBILITY,
    A.LOG_SHIFTS,
    "delete a shift of the month in progress",
    owner=Owner.REGULATOR,
)
REGULATION_STATEMENT = Route(
    "GET",
    "/structures/{structure_id}/regulation",
    ELIGIBILITY,
    A.READ_REGULATION_STATEMENT,
    "an association's monthly statement of its liberal regulators' hours",
    owner=Owner.STRUCTURE,
)
ELIGIBILITY_ROUTES = (
    EFFECTEUR_ELIGIBILITY,
    STRUCTURE_ELIGIBILITY,
    ELIGIBILITY_EXPORT_EFFECTEURS,
    ELIGIBILITY_EXPORT_REGULATION,
    SHIFT_LOG,
    SHIFTS_GET,
    SHIFT_DELETE,
    REGULATION_STATEMENT,
)
ROUTES = (*ROUTES, *ELIGIBILITY_ROUTES)
ROUTES_BY_KEY.update({route.key: route for route in ELIGIBILITY_ROUTES})

# --- regulator accounts, sent to level-2 editors (flow INT_R02) ------------------------------------------
# The account `REG` names, managed by the territory's admins (sas_common.regulators).
REGULATOR_PUT = Route(
    "PUT",
    REG,
    BOOKING,
    A.MANAGE_REGULATORS,
    "create or change a regulator account (a new version, sent to every level-2 editor)",
    body=Body.JSON,
)
REGULATOR_GET = Route(
    "GET", REG, BOOKING, A.MANAGE_REGULATORS, "a regulator account and each level-2 editor's sync state"
)
REGULATOR_DELETE = Route(
    "DELETE",
    REG,
    BOOKING,
    A.MANAGE_REGULATORS,
    "remove a regulator account (sent at once to every level-2 editor as an inactive Practitioner)",
)
REGULATOR_ROUTES = (REGULATOR_PUT, REGULATOR_GET, REGULATOR_DELETE)
ROUTES = (*ROUTES, *REGULATOR_ROUTES)
ROUTES_BY_KEY.update({route.key: route for route in REGULATOR_ROUTES})
