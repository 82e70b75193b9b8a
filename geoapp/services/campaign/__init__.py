"""Campaign work: collecting, verifying, navigating, progress, houses and people."""
