"""Reading FHIR JSON with the R4B models of fhir.resources, and resolving references inside a Bundle.

The guide is FHIR R4 (4.0.1); fhir.resources 8 defaults to R5, so every model here is `fhir.resources.R4B`
(R4B is wire-compatible with R4 for the resources of the SAS flows). Editors are read liberally: an
element the models do not know (a vendor addition, an R5 element) is dropped rather than failing the
resource; everything the models do know is validated.
"""

from __future__ import annotations

import copy
import gc
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeAlias

from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot
from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from pydantic_core import from_json

from sas_common.fhir.errors import NotFhir

# fhir.resources ships no type information: its models are `Any` to mypy.
Resource: TypeAlias = Any

MODELS: dict[str, Any] = {
    model.__name__: model
    for model in (
        Appointment,
        Bundle,
        HealthcareService,
        Location,
        OperationOutcome,
        Organization,
        Practitioner,
        PractitionerRole,
        Schedule,
        Slot,
    )
}
_MAX_PROBLEMS_IN_REASON = 3
_TYPE_AND_ID = re.compile(r"(?:^|/)(?P<key>[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64})$")
_HISTORY = re.compile(r"/_history/[^/]*$")


class UnreadableResource(Exception):
    """One resource that the models reject; the message is a short reason with element paths."""


class BrokenReference(Exception):
    """A literal reference that names nothing in the Bundle (or something of another type)."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """Reading a large Bundle allocates about a million objects, none of them in cycles: the cyclic
    garbage collector, set off by the allocations, would scan them again and again (about half of the
    time of a 10,000-slot Bundle). It is paused meanwhile and anything it missed is collected after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_json(payload: dict[str, Any] | bytes | str) -> dict[str, Any]:
    """The JSON object of a FHIR payload, with a `resourceType`; NotFhir otherwise."""
    if isinstance(payload, bytes | str):
        try:
            payload = from_json(payload)  # pydantic's parser: about twice as fast as the json module's
        except ValueError as exc:
            raise NotFhir(f"the body is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise NotFhir("the body is not a JSON object")
    if not isinstance(payload.get("resourceType"), str):
        raise NotFhir("the body has no resourceType: not a FHIR resource")
    return payload


def read_resource(raw: dict[str, Any], model: Any) -> Resource:
    """`raw` validated by `model`, elements unknown to the model dropped; UnreadableResource otherwise."""
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        unknown = [problem["loc"] for problem in error.errors() if problem["type"] == "extra_forbidden"]
        if not unknown or len(unknown) < error.error_count():
            raise UnreadableResource(_describe(model.__name__, error)) from error
        pruned = _without(raw, unknown)
        if pruned is None:
            raise UnreadableResource(_describe(model.__name__, error)) from error
        return read_resource(pruned, model)
    except (KeyError, TypeError, ValueError) as error:
        # fhir.resources raises KeyError on a contained resource of an unknown type.
        raise UnreadableResource(f"{model.__name__}: unreadable ({type(error).__name__}: {error})") from error


def _describe(resource_type: str, error: ValidationError) -> str:
    """Element paths and messages, never the offending values (they may hold personal data)."""
    problems = error.errors()
    shown = [
        f"{resource_type}.{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
        for problem in problems[:_MAX_PROBLEMS_IN_REASON]
    ]
    more = len(problems) - len(shown)
    return "; ".join(shown) + (f" (and {more} more)" if more else "")


def _without(raw: dict[str, Any], paths: Sequence[tuple[int | str, ...]]) -> dict[str, Any] | None:
    """A copy of `raw` without the elements at `paths`; None if a path does not lead anywhere in it."""
    pruned = copy.deepcopy(raw)
    for path in paths:
        parent: Any = pruned
        try:
            for step in path[:-1]:
                parent = parent[step]
            del parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            return None
    return pruned


class RepeatedReader:
    """Reads many resources of one type that share most of their content, fast.

    An editor's Slots differ in a few primitive elements (id, start, end, booking URL) and share the rest
    (schedule, codes, profile). The shared part is validated by the full model once per distinct content;
    the varying elements of each resource by the model's own field types. Every element is validated by
    fhir.resources either way, at about a tenth of the cost of the full model per Slot.
    """

    def __init__(self, model: Any, placeholders: dict[str, Any], optional: Sequence[str] = ()) -> None:
        """`placeholders`: the varying elements the model requires, with a valid value each."""
        self._model = model
        self._placeholders = placeholders
        self._required = frozenset(placeholders)
        self.varying = (*placeholders, *optional)
        fields: dict[str, Any] = {name: (model.model_fields[name].annotation, None) for name in self.varying}
        self._varying_model: type[BaseModel] = create_model(
            f"{model.__name__}Varying", __config__=ConfigDict(extra="forbid"), **fields
        )
        self._shared: dict[str, Resource | UnreadableResource] = {}

    def read(self, raw: dict[str, Any]) -> tuple[Resource, BaseModel]:
        """The shared part (its varying elements hold placeholders: never read them), and the varying
        elements of this resource. UnreadableResource when either is invalid."""
        shared_raw = {name: value for name, value in raw.items() if name not in self.varying}
        # The text of JSON values: equal for equal content written in the same order (the others only
        # miss the cache), three times cheaper than serialising them.
        key = repr(shared_raw)
        if key not in self._shared:
            try:
                self._shared[key] = read_resource({**shared_raw, **self._placeholders}, self._model)
            except UnreadableResource as problem:
                self._shared[key] = problem
        shared = self._shared[key]
        if isinstance(shared, UnreadableResource):
            raise UnreadableResource(str(shared))
        missing = sorted(name for name in self._required if raw.get(name) is None)
        if missing:
            listed = ", ".join(f"{self._model.__name__}.{name}" for name in missing)
            raise UnreadableResource(f"{listed}: required")
        try:
            varying = self._varying_model.model_validate(
                {name: raw[name] for name in self.varying if name in raw}
            )
        except ValidationError as error:
            raise UnreadableResource(_describe(self._model.__name__, error)) from error
        return shared, varying


def resource_key(resource: Resource) -> str | None:
    """`Type/id`, how relative references name a resource."""
    return f"{resource.get_resource_type()}/{resource.id}" if resource.id else None


class BundleIndex:
    """The resources of one Bundle by `fullUrl` and by `Type/id`, built once: each lookup is O(1)."""

    def __init__(self) -> None:
        self._by_url: dict[str, Resource] = {}
        self._by_key: dict[str, Resource] = {}

    def add(self, resource: Resource, full_url: str | None) -> None:
        if full_url:
            self._by_url.setdefault(full_url, resource)
        key = resource_key(resource)
        if key is None and full_url:
            found = _TYPE_AND_ID.search(full_url)
            key = found.group("key") if found else None
        if key:
            self._by_key.setdefault(key, resource)

    def resolve(self, reference: str, holder: Resource, expected: str | None) -> tuple[Resource, Resource]:
        """The resource `reference` names, and the top-level resource that holds it (itself unless
        contained). `holder` is the top-level resource where the reference was written: `#id` is looked
        up among its contained resources; absolute and relative references among the Bundle's entries."""
        if reference.startswith("#"):
            found = next((item for item in holder.contained or () if item.id == reference[1:]), None)
            target_holder = holder
        else:
            found = self._lookup(_HISTORY.sub("", reference))
            target_holder = found
        if found is None:
            raise BrokenReference(f"{reference} is not in the Bundle")
        if expected is not None and found.get_resource_type() != expected:
            raise BrokenReference(f"{reference} is a {found.get_resource_type()}, not a {expected}")
        return found, target_holder

    def _lookup(self, reference: str) -> Resource | None:
        found = self._by_url.get(reference)
        if found is None:
            key = _TYPE_AND_ID.search(reference)
            found = self._by_key.get(key.group("key")) if key else None
        return found
