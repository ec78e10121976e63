"""The manual agenda (agenda SAS): availability series, their occurrences, places' unavailability, and the
materialisation of the coming days' occurrences into the `slots` table."""
