-- The basic figures (基礎情報) of each region's 自治体情報シート, read from the whole section
-- at ingest (or from a submitted form B): one row per figure the sheet has, its value or
-- 記載なし. Questions about figures are answered from this table.
CREATE TABLE figures (
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal     INTEGER NOT NULL,
    region_key  TEXT NOT NULL,
    region      TEXT NOT NULL,           -- JSON of the region as the sheet names it
    figure_id   TEXT NOT NULL,           -- index/figures.toml id
    figure      TEXT NOT NULL,           -- JSON: label, value, text as written, 時点
    PRIMARY KEY (document_id, ordinal)
);
CREATE INDEX figures_by_region ON figures (region_key);
