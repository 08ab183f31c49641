CREATE TABLE figures (
    document_id TEXT COLLATE "C" NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal     BIGINT NOT NULL,
    region_key  TEXT COLLATE "C" NOT NULL,
    region      TEXT NOT NULL,
    figure_id   TEXT NOT NULL,
    figure      TEXT NOT NULL,
    PRIMARY KEY (document_id, ordinal)
);
CREATE INDEX figures_by_region ON figures (region_key);
