"""Booking a slot: editor booking versus phone callback, and the orientations they record."""
