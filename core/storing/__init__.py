"""Stage 3, storing: records into a DataFrame (``frame``), the Parquet cache and its bookkeeping
(``cache``, ``ingest``), the headline catalog (``catalog``), the lookups derived once per cache
generation (``derived``), the SQLite FTS5 full-text index (``search``), and the loaded collection the
dashboard and the CLI open (``collection``)."""
