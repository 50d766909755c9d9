"""The report: result rows -> results.csv, cheat tables, heatmaps, report.html, comparisons."""
