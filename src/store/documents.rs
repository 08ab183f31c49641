//! Documents and passages.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::Row;

use super::{Store, db_err, json_err};
use crate::domain::ports::{
    DocumentChanges, DocumentStore, FigureRecord, SourceFingerprint, SourcedDocument, StoreError,
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
    async fn bump_generation(tx: &mut sqlx::AnyConnection) -> Result<u64, StoreError> {
        let row = sqlx::query("UPDATE store_generation SET generation = generation + 1 WHERE id = 1 RETURNING generation")
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err("bumping generation"))?;
        Ok(row.get::<i64, _>(0) as u64)
    }

    /// The stored documents written after generation `after` (all of them for `None`),
    /// in id order, with their passages and figures.
    async fn documents_after(&self, after: Option<u64>) -> Result<Vec<Document>, StoreError> {
        let after = after.map_or(-1, |g| g as i64);
        let docs = sqlx::query(
            "SELECT id, title, form, fiscal_year, sheets, warnings FROM documents
             WHERE generation > $1 ORDER BY id",
        )
        .bind(after)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("reading documents"))?;
        let passages = sqlx::query(
            "SELECT p.id, p.document_id, p.ordinal, p.region_name, p.region_path, p.prefecture,
                    p.region_kind, p.region_source, p.fiscal_year, p.form, p.section, p.topics, p.body
             FROM passages p JOIN documents d ON d.id = p.document_id
             WHERE d.generation > $1
             ORDER BY p.document_id, p.ordinal",
        )
        .bind(after)
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
        for f in self.figures_after(after).await? {
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

    async fn figures_after(&self, after: i64) -> Result<Vec<FigureRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT f.document_id, d.title, d.fiscal_year, f.region, f.figure
             FROM figures f JOIN documents d ON d.id = f.document_id
             WHERE d.generation > $1
             ORDER BY f.document_id, f.ordinal",
        )
        .bind(after)
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
        let generation = Self::bump_generation(&mut tx).await?;
        for sd in documents {
            let d = &sd.document;
            sqlx::query("DELETE FROM documents WHERE id = $1")
                .bind(&d.id)
                .execute(&mut *tx)
                .await
                .map_err(db_err("deleting old document"))?;
            sqlx::query(
                "INSERT INTO documents (id, source_path, sha256, lexicon, title, form, fiscal_year, sheets, warnings, ingested_at, generation)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
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
            .bind(generation as i64)
            .execute(&mut *tx)
            .await
            .map_err(db_err("inserting document"))?;
            sqlx::query("DELETE FROM removed_documents WHERE id = $1")
                .bind(&d.id)
                .execute(&mut *tx)
                .await
                .map_err(db_err("forgetting a removal"))?;
            for p in &d.passages {
                sqlx::query(
                    "INSERT INTO passages (id, document_id, ordinal, region_name, region_key, region_path, prefecture,
                        region_kind, region_source, fiscal_year, form, section, topics, body)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
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
                         VALUES ($1, $2, $3, $4, $5, $6)",
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
        tx.commit().await.map_err(db_err("commit"))?;
        Ok(generation)
    }

    async fn remove_documents(&self, ids: &[String]) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        let generation = Self::bump_generation(&mut tx).await?;
        for id in ids {
            sqlx::query("DELETE FROM documents WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err("deleting document"))?;
            sqlx::query(
                "INSERT INTO removed_documents (id, generation) VALUES ($1, $2)
                 ON CONFLICT (id) DO UPDATE SET generation = excluded.generation",
            )
            .bind(id)
            .bind(generation as i64)
            .execute(&mut *tx)
            .await
            .map_err(db_err("recording a removal"))?;
        }
        tx.commit().await.map_err(db_err("commit"))?;
        Ok(generation)
    }

    async fn documents(&self) -> Result<Vec<Document>, StoreError> {
        self.documents_after(None).await
    }

    async fn changes_since(&self, generation: u64) -> Result<DocumentChanges, StoreError> {
        // The generation is read first: whatever commits while the rest is read is read
        // again next time (applying a change twice is harmless), never skipped.
        let now = self.generation().await?;
        if now <= generation {
            return Ok(DocumentChanges {
                generation: now,
                documents: Vec::new(),
                removed: Vec::new(),
            });
        }
        let documents = self.documents_after(Some(generation)).await?;
        let removed =
            sqlx::query("SELECT id FROM removed_documents WHERE generation > $1 ORDER BY id")
                .bind(generation as i64)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err("reading removed documents"))?
                .iter()
                .map(|r| r.get::<String, _>("id"))
                .collect();
        Ok(DocumentChanges {
            generation: now,
            documents,
            removed,
        })
    }

    async fn figures(&self) -> Result<Vec<FigureRecord>, StoreError> {
        self.figures_after(-1).await
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
