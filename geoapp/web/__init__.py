"""Web layer: thin Flask blueprints (parse, authorise, call a service, render)."""
