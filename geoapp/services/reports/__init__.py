"""Reports: coverage by village against the work plan (the leaders' page, the workbook, the API)."""
