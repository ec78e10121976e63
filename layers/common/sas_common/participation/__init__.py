"""Participation declarations ("Vos paramètres"): the model, its rules, its store."""
