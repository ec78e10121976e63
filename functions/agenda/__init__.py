"""Effecteurs' directory, participation and manual agenda (HTTP)."""
