"""Public routes: health and API documentation."""
