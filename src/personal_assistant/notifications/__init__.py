"""Notifications to a user on a channel (log, email, webhook), delivered by a retried job."""
