"""Operations: settings, the database, observability, backups."""
