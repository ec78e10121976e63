"""The search capability."""
