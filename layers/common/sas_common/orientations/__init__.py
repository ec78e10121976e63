"""Orientations: the platform's bookings and the editors' appointment records (INT_R03)."""
