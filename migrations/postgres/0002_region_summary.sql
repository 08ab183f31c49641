CREATE INDEX passages_region_summary ON passages (region_key, region_name, prefecture, region_kind);
