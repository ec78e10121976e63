"""The booking capability."""
