"""Plain-Python rules of the campaign: no Flask, no database."""
