//! Reading documents: from PDF-extracted plain text to passages with their region,
//! section, fiscal year and topics.
//!
//! The text arrives the way PDF extraction leaves it: page breaks become a line that starts
//! with a space right after a non-empty line (or a form feed, or a lone page number), table
//! cells become loose lines, and running headers and footers (the form title and the region
//! line) repeat on pages. The parser therefore works in layers, judging by structure and
//! never by line numbers:
//!
//! 1. [`layout`]: lines → pages, and what each line is (title, region line, section heading,
//!    page furniture, content);
//! 2. sheets: a form A file holds one sheet per region, each starting at its first section;
//!    region lines are attached to the sheet they head or foot;
//! 3. [`chunk`]: each section's lines → passages of a readable size.

mod chunk;
mod layout;

use std::collections::HashMap;

use super::lexicon::Lexicon;
use super::passage::{Document, FORM_MATERIAL, Passage, RegionFigures, RegionSource};
use super::region::{Region, RegionKind};
use crate::domain::era::find_years;
use layout::{Layout, LineKind};

/// Why a file could not be read as a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("UTF-8 のテキストではありません（{0} バイト目）")]
    NotUtf8(usize),
    #[error("バイナリファイルのようです（NUL 文字を含みます）")]
    Binary,
    #[error("本文がありません")]
    Empty,
}

/// Title of the section that holds what comes before a sheet's first heading.
pub const PREAMBLE_SECTION: &str = "概要";

/// The section of a 自治体情報シート holding its basic figures.
pub const BASICS_SECTION: &str = "基礎情報";

/// Parses raw file bytes.
pub fn parse_bytes(doc_id: &str, bytes: &[u8], lex: &Lexicon) -> Result<Document, ParseError> {
    if bytes.contains(&0) {
        return Err(ParseError::Binary);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| ParseError::NotUtf8(e.valid_up_to()))?;
    parse_text(doc_id, text, lex)
}

/// Parses a document's text.
pub fn parse_text(doc_id: &str, text: &str, lex: &Lexicon) -> Result<Document, ParseError> {
    let layout = Layout::read(text, lex);
    if layout
        .lines
        .iter()
        .all(|l| matches!(l.kind, LineKind::Blank | LineKind::Furniture))
    {
        return Err(ParseError::Empty);
    }
    let form = layout
        .form
        .clone()
        .unwrap_or_else(|| FORM_MATERIAL.to_string());
    let title = layout.title();
    // Without a title line (a poster, a slide), the file's name stands for it.
    let title = if title.trim().is_empty() {
        doc_id
            .rsplit_once('.')
            .map(|(stem, _)| stem)
            .unwrap_or(doc_id)
            .to_string()
    } else {
        title
    };
    let fiscal_year = layout.fiscal_year();
    let mut warnings = Vec::new();

    let sheets = layout.sheets();
    let mut passages = Vec::new();
    let mut figures = Vec::new();
    for sheet in &sheets {
        let (region, source) = match sheet_region(&layout, sheet, lex) {
            Some(found) => found,
            None => {
                warnings.push(format!(
                    "{} 行目からのシートの地域を判定できませんでした",
                    layout.lines[sheet.start].number
                ));
                (Region::unknown(), RegionSource::Unknown)
            }
        };
        if source == RegionSource::Content {
            warnings.push(format!(
                "{} 行目からのシートには地域名の行がなく、本文から「{}」と判定しました",
                layout.lines[sheet.start].number, region.name
            ));
        }
        let own_key = region.key();
        for section in layout.sections(sheet, &own_key) {
            if section.title == BASICS_SECTION {
                // Figures are read from the whole section, before it is cut into
                // passages, so a label and its value never fall apart.
                let text: Vec<&str> = section
                    .lines
                    .iter()
                    .map(|i| layout.lines[*i].raw.as_str())
                    .collect();
                let found = lex.figures.extract(&text.join("\n"));
                if !found.is_empty() {
                    figures.push(RegionFigures {
                        region: region.clone(),
                        figures: found,
                    });
                }
            }
            for piece in chunk::pieces(&section.lines, &layout) {
                let normalized = lex
                    .normalizer
                    .normalize(&format!("{}\n{}", section.title, piece));
                let year = if layout.form.is_none() {
                    // In slides and other material a dated row (令和4年度 …) dates the passage.
                    leading_year(&lex.normalizer.normalize(&piece)).or(fiscal_year)
                } else {
                    fiscal_year
                };
                let ordinal = passages.len() as u32;
                passages.push(Passage {
                    id: format!("{doc_id}#{ordinal}"),
                    doc: doc_id.to_string(),
                    doc_title: title.clone(),
                    ordinal,
                    region: region.clone(),
                    region_source: source,
                    fiscal_year: year,
                    form: form.clone(),
                    section: section.title.clone(),
                    topics: lex.taxonomy.tag(&normalized),
                    text: piece,
                });
            }
        }
    }
    if passages.is_empty() {
        return Err(ParseError::Empty);
    }
    Ok(Document {
        id: doc_id.to_string(),
        title,
        form,
        fiscal_year,
        sheets: sheets.len(),
        passages,
        figures,
        warnings,
    })
}

/// The year of the first dated row in a piece (a line starting 「令和4年度 …」).
fn leading_year(normalized: &str) -> Option<i32> {
    normalized.lines().find_map(|line| {
        let line = line.trim_start();
        find_years(line)
            .into_iter()
            .find(|m| m.span.start == 0 && m.explicit_fiscal)
            .map(|m| m.fiscal_year)
    })
}

/// The region of a sheet: its own region line, else a region line heading the document,
/// else the place its text names most.
fn sheet_region(
    layout: &Layout,
    sheet: &layout::Sheet,
    lex: &Lexicon,
) -> Option<(Region, RegionSource)> {
    if let Some(r) = &sheet.banner {
        return Some((r.clone(), RegionSource::Banner));
    }
    if let Some(r) = layout.header_region(sheet) {
        return Some((r, RegionSource::Header));
    }
    infer_region(layout, sheet, lex).map(|r| (r, RegionSource::Content))
}

/// The municipality or area a sheet's text names most often (ties go to the first named);
/// a prefecture only when nothing more specific is named.
fn infer_region(layout: &Layout, sheet: &layout::Sheet, lex: &Lexicon) -> Option<Region> {
    let mut counts: HashMap<String, (usize, usize, Region)> = HashMap::new();
    let mut order = 0;
    for line in &layout.lines[sheet.start..sheet.end] {
        if !matches!(line.kind, LineKind::Content | LineKind::Heading(_)) {
            continue;
        }
        for mention in lex.gazetteer.find_mentions(&line.norm, false) {
            if mention.regions.len() != 1 {
                continue;
            }
            let r = &mention.regions[0];
            let entry = counts.entry(r.key()).or_insert_with(|| {
                order += 1;
                (0, order, r.clone())
            });
            entry.0 += 1;
        }
    }
    let best = |specific: bool| {
        counts
            .values()
            .filter(|(_, _, r)| (r.kind != RegionKind::Prefecture) == specific)
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
            .map(|(_, _, r)| r.clone())
    };
    best(true).or_else(|| best(false))
}

#[cfg(test)]
mod tests;
