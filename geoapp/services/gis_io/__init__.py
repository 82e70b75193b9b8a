"""GIS interchange: import, export, data frames of layers, map layers, topology."""
