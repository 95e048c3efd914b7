"""Files on disk: temporary-file cleanup and database backups (create, verify, restore)."""
