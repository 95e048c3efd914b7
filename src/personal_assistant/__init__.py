"""Durable PostgreSQL-only background task system for a personal assistant."""

__version__ = "0.1.0"
