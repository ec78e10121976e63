"""Editor slots: polling, push, appointment records, expiry."""
