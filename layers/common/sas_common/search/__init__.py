"""The regulator's search: slots near a patient, and the en-sus directory."""
