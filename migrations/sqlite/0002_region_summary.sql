-- Listing regions (at every start-up and after each ingest) groups all passages by
-- region; a covering index lets SQLite answer from the index instead of the table.
CREATE INDEX passages_region_summary ON passages (region_key, region_name, prefecture, region_kind);
