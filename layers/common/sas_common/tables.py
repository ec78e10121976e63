"""Every DynamoDB table of the platform, defined once.

The CDK stack, the local runtime and the tests all build their tables from `TABLES`. Every item key is a
string partition key `pk` and a string sort key `sk`; each index names its own key attributes, so an index
is sparse: only items that carry its attributes are in it. ARCHITECTURE.md maps each access pattern of
docs/access-patterns.md to the key or index below that serves it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PK = "pk"
SK = "sk"

# The partitions of an effecteur and of a structure, in every table that keys by owner (effecteurs,
# participations) and in the orientations' `by_effecteur` index.
EFFECTEUR_PREFIX = "EFF#"
STRUCTURE_PREFIX = "STRUCT#"


def effecteur_pk(national_id: str) -> str:
    return EFFECTEUR_PREFIX + national_id


def structure_pk(structure_id: str) -> str:
    """A structure's partition (a health centre, an SOS association: its sites are its places)."""
    return STRUCTURE_PREFIX + structure_id


@dataclass(frozen=True)
class IndexDef:
    name: str
    partition_key: str
    sort_key: str
    # Attributes projected besides the keys; None projects all attributes.
    projected: tuple[str, ...] | None = None


@dataclass(frozen=True)
class TableDef:
    logical_name: str
    purpose: str
    indexes: tuple[IndexDef, ...] = ()
    ttl_attribute: str | None = None
    partition_key: str = PK
    sort_key: str | None = SK
    stream: bool = False
    index_by_name: dict[str, IndexDef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index_by_name", {index.name: index for index in self.indexes})

    @property
    def env_var(self) -> str:
        """The Lambda environment variable that carries this table's physical name."""
        return f"TABLE_{self.logical_name.upper()}"

    def index(self, name: str) -> IndexDef:
        return self.index_by_name[name]


# Directory and agenda data of effecteurs and structures.
#   EFF#<national_id> / PROFILE                      names, specialty, phone, info for the regulator
#   EFF#<national_id> / PLACE#<place_id>             a place of practice (address, position, h3 cells)
#   EFF#<national_id> / UNAVAIL#<place_id>           unavailability of a place (indefinite or ≤ 3 periods)
#   EFF#<national_id> / AVAIL#<availability_id>      a manual availability series (exceptions inside it)
#   EFF#<national_id> / DELEGATE#<delegate_sub>      a delegate request or approval
#   STRUCT#<structure_id> / PROFILE                  a structure (CDS, SOS association, CPTS, MSP)
#   STRUCT#<siret> / PLACE#<place_id>                an SOS association's consultation site (from editors)
EFFECTEURS = TableDef(
    logical_name="effecteurs",
    purpose="directory, places, manual agenda series, unavailability, delegates",
    indexes=(
        # Pattern 3: places of participating effecteurs accepting extra patients, by h3 cell.
        IndexDef("by_ensus_cell", partition_key="ensus_cell", sort_key="ensus_sk"),
        # Structure managers: the effecteurs practising at a structure.
        IndexDef("by_structure", partition_key="structure_pk", sort_key="structure_sk"),
        # Pattern 8, the materialisation job: effecteurs with manual series that still have days to come
        # (`agenda_pk = AGENDA`, `agenda_sk = <national_id>`, set on live AVAIL# items only), read page by
        # page instead of a Scan. Written only when a series is saved or retired: one partition suffices.
        IndexDef("by_agenda", partition_key="agenda_pk", sort_key="agenda_sk", projected=()),
    ),
)

# Free slots of the next days, from editors and from materialised manual availabilities.
#   SRC#<source>#<national_id> / <start_utc>#<slot_key>
# `source` is an editor id or `manual`: pattern 6 replaces an editor's answer for one effecteur over a
# window with one Query on the key; pattern 10 reads a slot by id, the id encoding its key.
SLOTS = TableDef(
    logical_name="slots",
    purpose="free slots (editor and manual) in the search window",
    indexes=(
        # Pattern 1: slots near a point: one Query per covering h3 cell and local day.
        IndexDef("by_cell_day", partition_key="cell_day", sort_key="start_sk"),
        # Pattern 2: teleconsultation slots of the territory, whatever the place.
        IndexDef("by_tele_day", partition_key="tele_day", sort_key="start_sk"),
        # Pattern 7: slots by hour bucket of their end, read by the expiry job.
        IndexDef("by_expiry", partition_key="expiry_bucket", sort_key="end_sk", projected=()),
    ),
    ttl_attribute="ttl",
)

# Participation declarations and what derives from them.
#   EFF#<national_id> / DECL#CURRENT                 the current declaration
#   EFF#<national_id> / DECL#V#<000001>              every saved version (history)
#   EFF#<national_id> / EDITOR#<editor_id>           one item per declared editor not refused (pattern 5)
#   STRUCT#<structure_id> / DECL#CURRENT | DECL#V#…   a structure's declaration (CDS, SOS association)
#   STRUCT#<siret> / EDITOR#<editor_id>              an SOS editor a participating association listed
#                                                    (pattern 5 too: `editor_sk` = the SIRET)
#   EFF#<national_id> / WEEK#<YYYY-Www>              visible manual hours of a week, as they were (pattern 13)
PARTICIPATIONS = TableDef(
    logical_name="participations",
    purpose="participation declarations (versioned), declared editors, weekly visible hours",
    indexes=(
        # Pattern 5: effecteurs who declared editor E and did not refuse display, paged by 25.
        IndexDef("by_editor", partition_key="editor_pk", sort_key="editor_sk"),
        # Pattern 15: the territory's current declarations (reset, exports), paginated, off the request path.
        IndexDef("by_territory", partition_key="territory_pk", sort_key="territory_sk"),
    ),
)

# Orientations: the platform's bookings and the editors' appointment records (INT_R03).
#   BOOKING#<booking_id> / META | EVENT#<at>
#   APPT#<editor_id>#<identifier_hash> / META | STATUS#<at>
#   LINK#<editor_id>#<national_id>#<start> / META     a booking and the editor's record of it (links)
BOOKING_PREFIX = "BOOKING#"
ORIENTATIONS = TableDef(
    logical_name="orientations",
    purpose="bookings, phone-callback outcomes and editor appointment records, with history",
    indexes=(
        # Pattern 12: orientations by regulator and period.
        IndexDef("by_regulator", partition_key="regulator_pk", sort_key="at_sk"),
        # Patterns 12 and 14: orientations and appointment records by effecteur and period.
        IndexDef("by_effecteur", partition_key="effecteur_pk", sort_key="at_sk"),
        # Pattern 12: the territory's orientations by period (`DAY#<UTC date of the start>`: a day's are
        # a few thousand at most), for the regulators' dashboard.
        IndexDef("by_day", partition_key="day_pk", sort_key="at_sk"),
    ),
    ttl_attribute="ttl",
)

# Operational state that must survive between invocations: circuit breakers, job cursors, rate caps,
# poll runs.
#   EDITOR#<editor_id> / BREAKER | RATE#<minute> | RUN#<run_id>
#   JOB#<job_name> / CURSOR
PLATFORM_STATE = TableDef(
    logical_name="platform_state",
    purpose="editor circuit breakers, job cursors, rate caps",
    ttl_attribute="ttl",
)


def editor_state_pk(editor_id: str) -> str:
    """An editor's partition in `platform_state` (its breaker, request budget and poll runs)."""
    return f"EDITOR#{editor_id}"


# Powertools idempotency records (its own key layout: `id`, TTL `expiration`).
IDEMPOTENCY = TableDef(
    logical_name="idempotency",
    purpose="powertools idempotency records for retried writes",
    partition_key="id",
    sort_key=None,
    ttl_attribute="expiration",
)

TABLES: tuple[TableDef, ...] = (EFFECTEURS, SLOTS, PARTICIPATIONS, ORIENTATIONS, PLATFORM_STATE, IDEMPOTENCY)


# --- eligibility: liberal regulators' shifts (pattern 18) --------------------------------------------------
# Regulators' logged shifts and the monthly statements built from them (sas_common.stores.regulation).
#   REG#<regulator id> / SHIFT#<start UTC>           a shift: start, end, association (one per start)
#   REG#<regulator id> / MONTH#<YYYY-MM>             the regulator's month version: every shift written
#                                                    bumps the versions of the months it was checked
#                                                    against, in the same transaction (overlap check)
# Regulator accounts sent to level-2 editors, flow INT_R02 (the same store, pattern 21); one
# Query `begins_with(sk, ACCOUNT)` reads an account with its editors' states:
#   REG#<regulator id> / ACCOUNT                     the account: identifiers, name, e-mail, active, removed,
#                                                    `version` (+1 on every save or removal, conditional)
#   REG#<regulator id> / ACCOUNT#SYNC#<editor id>    a level-2 editor's state of the account: the `version`
#                                                    it is for, pending | synced | failed, attempts, whether
#                                                    the editor knows the account (POST, then PUT)
REGULATION = TableDef(
    logical_name="regulation",
    purpose="liberal regulators' shifts and their monthly statements",
    indexes=(
        # Pattern 18: a month's shifts of the territory (the export), and an association's
        # (`reg_month_sk` begins with `<association id>#`): `reg_month = MONTH#<YYYY-MM>` (local month of
        # the shift's start), `reg_month_sk = <association id>#<regulator id>#<start UTC>`.
        IndexDef("by_month", partition_key="reg_month", sort_key="reg_month_sk"),
    ),
)

TABLES = (*TABLES, REGULATION)
