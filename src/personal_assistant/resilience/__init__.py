"""Resilience shared by every worker: circuit breakers whose state lives in PostgreSQL."""
