"""FHIR for the editors' flows (ANS SAS guide, FHIR R4, read with fhir.resources' R4B models).

Import from the modules, so that a function needing only codes does not load the FHIR models:
- `codes`: code systems, extension URLs, SIRET as a structure identifier;
- `slot_mapping.map_slot_bundle`: slot Bundles (polled or pushed) → `model.EditorSlot`s and `Rejection`s;
- `appointment.parse_appointment`: INT_R03 records → `AppointmentRecord` (no patient data);
- `queries`: the searches sent to editors (`build_slot_query`, `build_sos_query`);
- `outcome`: OperationOutcome answers; `errors`: what is wrong with a payload as a whole.
"""
