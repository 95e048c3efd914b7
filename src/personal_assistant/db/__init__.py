"""Database access: URL resolution, SQLAlchemy models, engine and sessions."""
