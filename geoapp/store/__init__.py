"""Storage: engine and sessions, models, spatial index, migrations."""
