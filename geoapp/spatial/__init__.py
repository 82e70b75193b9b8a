"""Spatial work with shapely 2 / geopandas / pyproj, vectorised. No Flask, no database."""
