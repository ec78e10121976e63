"""Undetected mutants excluded by hand, each with its reason (`bench.mutation.classify` applies them).

An entry names the module and the change: the lines the mutant removes and adds, each stripped and joined
by one space (as the report shows them). An entry is a claim that no test can tell the mutant from the
original — it does not change what the module does — or, for `MESSAGE_ONLY`, that it changes only a
message's text in a way the mechanical rule of `classify` cannot see.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Equivalent:
    module: str  # path from the repository root
    before: str  # the removed line(s), stripped, joined by one space
    after: str  # the added line(s)
    reason: str

    def matches(self, module: str, removed: str, added: str) -> bool:
        return module == self.module and removed == self.before and added == self.after


WEEKLY = "layers/common/sas_common/agenda/weekly.py"
AGENDA = "layers/common/sas_common/agenda/rules.py"
PARTICIPATION = "layers/common/sas_common/participation/rules.py"
BREAKER = "layers/common/sas_common/ingest/breaker.py"
EXTRACT = "layers/common/sas_common/directory/extract.py"
BODIES = "layers/common/sas_common/bodies.py"
MAPPING = "layers/common/sas_common/fhir/slot_mapping.py"
_SPANS = "for start, end in sorted(span for span in spans if span[1] > span[0]):"
_UTF8_UNKNOWN = "a codec's name is looked up case-insensitively: 'UTF-8' is 'utf-8'"

EQUIVALENTS: tuple[Equivalent, ...] = (
    Equivalent(
        WEEKLY,
        _SPANS,
        _SPANS.replace("span[1] > span[0]", "span[1] >= span[0]"),
        "an empty span adds no minute and, merged, extends no other span",
    ),
    Equivalent(
        WEEKLY,
        "if current is not None and start <= current[1]:",
        "if current is not None and start < current[1]:",
        "two touching spans count the same minutes merged or apart",
    ),
    Equivalent(
        WEEKLY,
        "return int(total.total_seconds() // 60)",
        "return int(total.total_seconds() / 60)",
        "int() truncates a non-negative quotient as // does",
    ),
    Equivalent(
        BREAKER,
        "if state.status is BreakerStatus.OPEN:",
        "if state.status is not BreakerStatus.OPEN:",
        "the open and the half-open branches return the same condition (a trial is given up after a "
        "cool-down, as an open breaker is tried again after one)",
    ),
    Equivalent(
        EXTRACT,
        'decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")',
        'decoder = codecs.getincrementaldecoder("UTF-8")(errors="replace")',
        _UTF8_UNKNOWN,
    ),
    Equivalent(BODIES, 'text.encode("utf-8")', 'text.encode("UTF-8")', _UTF8_UNKNOWN),
    Equivalent(
        BODIES,
        'return base64.b64decode(body, validate=True).decode("utf-8")',
        'return base64.b64decode(body, validate=True).decode("UTF-8")',
        _UTF8_UNKNOWN,
    ),
    Equivalent(
        BODIES,
        'media, _, parameters = (content_type or "").partition(";")',
        'media, _, parameters = (content_type or "XXXX").partition(";")',
        "without a Content-Type, '' and 'XXXX' are both no accepted media type, and no charset",
    ),
    Equivalent(
        AGENDA,
        '"recurrence_weekdays": (),',
        '"XXrecurrence_weekdaysXX": (),',
        "the day's schedule is checked with `until` None, so its recurrence is never read",
    ),
    Equivalent(
        AGENDA,
        '"recurrence_weekdays": (),',
        '"RECURRENCE_WEEKDAYS": (),',
        "the day's schedule is checked with `until` None, so its recurrence is never read",
    ),
    Equivalent(
        AGENDA,
        "check_schedule(effective, occurrence_day)",
        "check_schedule(effective, None)",
        "the first day is read only to check `until`, which the day's schedule never has",
    ),
    Equivalent(
        PARTICIPATION,
        "if abs(doctors * 100 - round(doctors * 100)) > 1e-6:",
        "if abs(doctors * 100 - round(doctors * 100)) >= 1e-6:",
        "no float read from a body lands exactly 1e-6 away from a hundredth",
    ),
    Equivalent(
        MAPPING,
        "doctors.setdefault(national_id, None)",
        "doctors.setdefault(national_id, )",
        "`setdefault`'s default is None",
    ),
    Equivalent(
        MAPPING,
        "structure_id = phone = None",
        'structure_id = phone = ""',
        "without a role both are only read through `or` or as a condition: '' and None alike",
    ),
    Equivalent(
        MAPPING,
        "role_specialties: tuple[Specialty, ...] = ()",
        "role_specialties: tuple[Specialty, ...] = None",
        "without a role it is only read as `role_specialties or schedule_specialties`: None and () alike",
    ),
)

MESSAGE_ONLY: tuple[Equivalent, ...] = (
    Equivalent(MAPPING, "_MAX_TYPE_NAME = 64", "_MAX_TYPE_NAME = 65", "how much of a type a reason quotes"),
    Equivalent(MAPPING, "_MAX_TYPE_NAME = 64", "_MAX_TYPE_NAME = 63", "how much of a type a reason quotes"),
    Equivalent(
        MAPPING,
        "candidates = [i.value for i in identifiers if _is_national_identifier(i) and i.value]",
        "candidates = None",
        "which of two reasons of the same rejection code (no national id / an invalid one) is given",
    ),
    Equivalent(
        MAPPING,
        "candidates = [i.value for i in identifiers if _is_national_identifier(i) and i.value]",
        "candidates = [i.value for i in identifiers if _is_national_identifier(i) or i.value]",
        "which of two reasons of the same rejection code (no national id / an invalid one) is given",
    ),
    Equivalent(
        MAPPING,
        "super().__init__(reason)",
        "super().__init__(None)",
        "the exception's own text: the rejection carries `reason`, never str() of the exception",
    ),
)
