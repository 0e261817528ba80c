"""Exports the commission opens in Excel: responsibility tables, score sheets, results and
the rectification list, as ``.xlsx`` and CSV, from the CLI or a download link."""
