//! Documents and passages.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::Row;

use super::{Store, db_err, json_err};
use crate::domain::ports::{
    DocumentStore, FigureRecord, SourceFingerprint, SourcedDocument, StoreError,
};
use crate::domain::search::passage::{Document, Passage, RegionFigures, RegionSource};
use crate::domain::search::query::KnownRegion;
use crate::domain::search::region::{Region, RegionKind};

fn source_label(s: RegionSource) -> &'static str {
    match s {
        RegionSource::Banner => "banner",
        RegionSource::Header => "header",
        RegionSource::Content => "content",
        RegionSource::Registered => "registered",
        RegionSource::Unknown => "unknown",
    }
}

fn source_from(label: &str) -> RegionSource {
    match label {
        "banner" => RegionSource::Banner,
        "header" => RegionSource::Header,
        "content" => RegionSource::Content,
        "registered" => RegionSource::Registered,
        _ => RegionSource::Unknown,
    }
}

impl Store {
    async fn bump_generation(tx: &mut sqlx::SqliteConnection) -> Result<u64, StoreError> {
        let row = sqlx::query("UPDATE store_generation SET generation = generation + 1 WHERE id = 1 RETURNING generation")
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err("bumping generation"))?;
        Ok(row.get::<i64, _>(0) as u64)
    }
}

#[async_trait]
impl DocumentStore for Store {
    async fn fingerprints(&self) -> Result<HashMap<String, SourceFingerprint>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, sha256, lexicon, sheets,
                    (SELECT count(*) FROM passages p WHERE p.document_id = d.id) AS passages
             FROM documents d",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("reading fingerprints"))?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.get("id"),
                    SourceFingerprint {
                        sha256: r.get("sha256"),
                        lexicon: r.get("lexicon"),
                        sheets: r.get::<i64, _>("sheets") as usize,
                        passages: r.get::<i64, _>("passages") as usize,
                    },
                )
            })
            .collect())
    }

    async fn replace_documents(&self, documents: &[SourcedDocument]) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        let now = self.now();
        for sd in documents {
            let d = &sd.document;
            sqlx::query("DELETE FROM documents WHERE id = ?")
                .bind(&d.id)
                .execute(&mut *tx)
                .await
                .map_err(db_err("deleting old document"))?;
            sqlx::query(
                "INSERT INTO documents (id, source_path, sha256, lexicon, title, form, fiscal_year, sheets, warnings, ingested_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&d.id)
            .bind(&sd.source_path)
            .bind(&sd.sha256)
            .bind(&sd.lexicon)
            .bind(&d.title)
            .bind(&d.form)
            .bind(d.fiscal_year)
            .bind(d.sheets as i64)
            .bind(serde_json::to_string(&d.warnings).map_err(json_err)?)
            .bind(&now)
            .execute(&mut *tx)
            .await
            .map_err(db_err("inserting document"))?;
            for p in &d.passages {
                sqlx::query(
                    "INSERT INTO passages (id, document_id, ordinal, region_name, region_key, region_path, prefecture,
                        region_kind, region_source, fiscal_year, form, section, topics, body)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&p.id)
                .bind(&d.id)
                .bind(i64::from(p.ordinal))
                .bind(&p.region.name)
                .bind(p.region.key())
                .bind(serde_json::to_string(&p.region.path).map_err(json_err)?)
                .bind(&p.region.prefecture)
                .bind(p.region.kind.label())
                .bind(source_label(p.region_source))
                .bind(p.fiscal_year)
                .bind(&p.form)
                .bind(&p.section)
                .bind(serde_json::to_string(&p.topics).map_err(json_err)?)
                .bind(&p.text)
                .execute(&mut *tx)
                .await
                .map_err(db_err("inserting passage"))?;
            }
            let mut ordinal = 0i64;
            for rf in &d.figures {
                let region = serde_json::to_string(&rf.region).map_err(json_err)?;
                for f in &rf.figures {
                    sqlx::query(
                        "INSERT INTO figures (document_id, ordinal, region_key, region, figure_id, figure)
                         VALUES (?, ?, ?, ?, ?, ?)",
                    )
                    .bind(&d.id)
                    .bind(ordinal)
                    .bind(rf.region.key())
                    .bind(&region)
                    .bind(&f.id)
                    .bind(serde_json::to_string(f).map_err(json_err)?)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err("inserting figure"))?;
                    ordinal += 1;
                }
            }
        }
        let generation = Self::bump_generation(&mut tx).await?;
        tx.commit().await.map_err(db_err("commit"))?;
        Ok(generation)
    }

    async fn remove_documents(&self, ids: &[String]) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        for id in ids {
            sqlx::query("DELETE FROM documents WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err("deleting document"))?;
        }
        let generation = Self::bump_generation(&mut tx).await?;
        tx.commit().await.map_err(db_err("commit"))?;
        Ok(generation)
    }

    async fn documents(&self) -> Result<Vec<Document>, StoreError> {
        let docs = sqlx::query(
            "SELECT id, title, form, fiscal_year, sheets, warnings FROM documents ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("reading documents"))?;
        let passages = sqlx::query(
            "SELECT id, document_id, ordinal, region_name, region_path, prefecture, region_kind, region_source,
                    fiscal_year, form, section, topics, body
             FROM passages ORDER BY document_id, ordinal",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("reading passages"))?;
        let mut by_doc: HashMap<String, Vec<Passage>> = HashMap::new();
        let titles: HashMap<String, String> =
            docs.iter().map(|r| (r.get("id"), r.get("title"))).collect();
        for r in passages {
            let doc: String = r.get("document_id");
            let path: Vec<String> = serde_json::from_str(r.get("region_path")).map_err(json_err)?;
            let passage = Passage {
                id: r.get("id"),
                doc_title: titles.get(&doc).cloned().unwrap_or_default(),
                ordinal: r.get::<i64, _>("ordinal") as u32,
                region: Region {
                    name: r.get("region_name"),
                    prefecture: r.get("prefecture"),
                    kind: RegionKind::from_label(r.get("region_kind")),
                    path,
                },
                region_source: source_from(r.get("region_source")),
                fiscal_year: r.get("fiscal_year"),
                form: r.get("form"),
                section: r.get("section"),
                topics: serde_json::from_str(r.get("topics")).map_err(json_err)?,
                text: r.get("body"),
                doc: doc.clone(),
            };
            by_doc.entry(doc).or_default().push(passage);
        }
        let mut figures: HashMap<String, Vec<RegionFigures>> = HashMap::new();
        for f in self.figures().await? {
            let of_doc = figures.entry(f.document.clone()).or_default();
            match of_doc.last_mut() {
                Some(last) if last.region == f.region => last.figures.push(f.figure),
                _ => of_doc.push(RegionFigures {
                    region: f.region,
                    figures: vec![f.figure],
                }),
            }
        }
        docs.into_iter()
            .map(|r| {
                let id: String = r.get("id");
                Ok(Document {
                    passages: by_doc.remove(&id).unwrap_or_default(),
                    figures: figures.remove(&id).unwrap_or_default(),
                    title: r.get("title"),
                    form: r.get("form"),
                    fiscal_year: r.get("fiscal_year"),
                    sheets: r.get::<i64, _>("sheets") as usize,
                    warnings: serde_json::from_str(r.get("warnings")).map_err(json_err)?,
                    id,
                })
            })
            .collect()
    }

    async fn figures(&self) -> Result<Vec<FigureRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT f.document_id, d.title, d.fiscal_year, f.region, f.figure
             FROM figures f JOIN documents d ON d.id = f.document_id
             ORDER BY f.document_id, f.ordinal",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("reading figures"))?;
        rows.iter()
            .map(|r| {
                Ok(FigureRecord {
                    document: r.get("document_id"),
                    document_title: r.get("title"),
                    fiscal_year: r.get("fiscal_year"),
                    region: serde_json::from_str(r.get("region")).map_err(json_err)?,
                    figure: serde_json::from_str(r.get("figure")).map_err(json_err)?,
                })
            })
            .collect()
    }

    async fn regions(&self) -> Result<Vec<KnownRegion>, StoreError> {
        // The display name is the spelling most passages use.
        let rows = sqlx::query(
            "SELECT region_key, region_name, prefecture, region_kind, COUNT(*) AS n
             FROM passages GROUP BY region_key, region_name, prefecture, region_kind
             ORDER BY region_key, n DESC, region_name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("reading regions"))?;
        let mut out: Vec<KnownRegion> = Vec::new();
        for r in rows {
            let key: String = r.get("region_key");
            let n = r.get::<i64, _>("n") as usize;
            match out.last_mut() {
                Some(last) if last.key == key => last.passages += n,
                _ => out.push(KnownRegion {
                    key,
                    name: r.get("region_name"),
                    prefecture: r.get("prefecture"),
                    kind: RegionKind::from_label(r.get("region_kind")),
                    passages: n,
                }),
            }
        }
        Ok(out)
    }

    async fn generation(&self) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT generation FROM store_generation WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err("reading generation"))?;
        Ok(row.get::<i64, _>(0) as u64)
    }
}
