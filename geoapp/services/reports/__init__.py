"""Reports for leaders and the assessment: coverage, workbook."""
