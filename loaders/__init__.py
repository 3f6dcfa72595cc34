"""Loaders: source extracts (CSV, Excel, Parquet; UTF-8, GBK) into canonical tables."""
