"""Sealing a patient's contact details with the territory's KMS key, for the editor's call only.

The sealed text (base64 of the KMS ciphertext) travels in the booking's execution input; it is bound to the
booking by the encryption context, so it cannot be opened for another. Only the function that calls the
editor may decrypt (its role's grant).
"""

from __future__ import annotations

import base64

from sas_common.stores.clients import AwsClients

PURPOSE = "patient-contact"


class ContactSealer:
    def __init__(self, aws: AwsClients, key_id: str | None) -> None:
        self._aws = aws
        self._key_id = key_id

    def seal(self, plaintext: bytes, booking_id: str) -> str:
        if self._key_id is None:
            raise RuntimeError("this function has no key to seal patient contacts (SAS_PATIENT_CONTACT_KEY)")
        answer = self._aws.kms.encrypt(
            KeyId=self._key_id, Plaintext=plaintext, EncryptionContext=self._context(booking_id)
        )
        return base64.b64encode(answer["CiphertextBlob"]).decode()

    def open(self, sealed: str, booking_id: str) -> bytes:
        answer = self._aws.kms.decrypt(
            CiphertextBlob=base64.b64decode(sealed), EncryptionContext=self._context(booking_id)
        )
        return bytes(answer["Plaintext"])

    @staticmethod
    def _context(booking_id: str) -> dict[str, str]:
        return {"purpose": PURPOSE, "booking": booking_id}
