"""Forecast runs: statistical forecasts per SKU x location x channel, kept as snapshots with their accuracy."""
