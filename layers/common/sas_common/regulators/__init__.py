"""Regulator accounts and their sending to level-2 editors as Practitioners (flow INT_R02, pattern 21)."""
