"""Running the installation: backups and restores of the whole database."""
