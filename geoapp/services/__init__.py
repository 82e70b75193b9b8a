"""Use cases. Each takes a SQLAlchemy session (or the Database for write units)."""
