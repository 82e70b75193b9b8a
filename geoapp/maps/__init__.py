"""Maps composed from small folium pieces. Pieces fetch their data from the app's
GeoJSON endpoints; no town feature is ever embedded in the page."""
