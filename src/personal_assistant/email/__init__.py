"""Outgoing email: a transactional outbox delivered over SMTP, and the daily summary."""
