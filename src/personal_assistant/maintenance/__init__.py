"""Upkeep of the database and its records: vacuum, expired sessions, old logs."""
