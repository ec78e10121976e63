"""The eligibility capability."""
