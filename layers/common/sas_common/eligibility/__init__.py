"""Avenant 9: indicators 8 and 9, liberal regulators' hours, and the exports the health insurance needs."""
