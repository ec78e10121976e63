"""Effecteurs: the directory entries of health professionals, their places and card."""
