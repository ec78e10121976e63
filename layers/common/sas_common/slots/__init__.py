"""Free slots: keys, storage and expiry."""
