//! Two sheets of the sample corpus's form A, transcribed cell by cell
//! (tests/fixtures/formats/corpus_sheets.json), rendered as an Excel workbook
//! (rust_xlsxwriter) and a Word document (docx-rs) for the tests and the formats
//! benchmark; `repeat` makes large ones.

use std::path::{Path, PathBuf};

use docx_rs::{BreakType, Docx, Paragraph, Run, Table, TableCell, TableRow};
use rust_xlsxwriter::{Format, Workbook};
use serde::Deserialize;

/// nimo's file fixtures (tests/fixtures/formats).
pub fn fixtures() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/formats"
    ))
}

#[derive(Debug, Deserialize)]
pub struct Sheets {
    pub title: String,
    pub sections: Vec<String>,
    pub header: Vec<String>,
    pub sheets: Vec<Sheet>,
}

#[derive(Debug, Deserialize)]
pub struct Sheet {
    pub name: String,
    pub region: String,
    pub pairs: Vec<(String, String)>,
    /// Bullets of sections 2, 3 and 4.
    pub bullets: Vec<Vec<String>>,
}

pub fn corpus_sheets() -> Sheets {
    let text = std::fs::read_to_string(fixtures().join("corpus_sheets.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The sheets as an organizer's workbook: one worksheet per region, title and region
/// merged across the table, goals and 取組状況 side by side in wrapped cells, bullets.
pub fn sheets_xlsx(s: &Sheets, path: &Path) {
    let mut wb = Workbook::new();
    let wrap = Format::new().set_text_wrap();
    let plain = Format::new();
    let mut names: Vec<String> = Vec::new();
    for sheet in &s.sheets {
        let ws = wb.add_worksheet();
        // Sheet names are unique within a workbook (a repeated sheet gets a number).
        let taken = names.iter().filter(|n| **n == sheet.name).count();
        names.push(sheet.name.clone());
        let name = if taken == 0 {
            sheet.name.clone()
        } else {
            format!("{}{}", sheet.name, taken + 1)
        };
        ws.set_name(&name).unwrap();
        ws.set_column_width(0, 45).unwrap();
        ws.set_column_width(1, 45).unwrap();
        ws.merge_range(0, 0, 0, 1, &s.title, &plain).unwrap();
        ws.merge_range(1, 0, 1, 1, &sheet.region, &plain).unwrap();
        ws.merge_range(3, 0, 3, 1, &s.sections[0], &plain).unwrap();
        ws.write_string(4, 0, &s.header[0]).unwrap();
        ws.write_string(4, 1, &s.header[1]).unwrap();
        let mut r = 5;
        for (goal, status) in &sheet.pairs {
            ws.write_string_with_format(r, 0, goal, &wrap).unwrap();
            ws.write_string_with_format(r, 1, status, &wrap).unwrap();
            r += 1;
        }
        for (section, bullets) in s.sections[1..].iter().zip(&sheet.bullets) {
            r += 1;
            ws.merge_range(r, 0, r, 1, section, &plain).unwrap();
            r += 1;
            for b in bullets {
                ws.merge_range(r, 0, r, 1, &format!("・{b}"), &plain)
                    .unwrap();
                r += 1;
            }
        }
    }
    wb.save(path).unwrap();
}

fn paragraph(text: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(text))
}

fn cell(text: &str) -> TableCell {
    TableCell::new().add_paragraph(paragraph(text))
}

/// The sheets as a Word document: title, region, a two-column table, bullet paragraphs.
pub fn sheets_docx(s: &Sheets, path: &Path) {
    let mut docx = Docx::new();
    for (i, sheet) in s.sheets.iter().enumerate() {
        if i > 0 {
            docx =
                docx.add_paragraph(Paragraph::new().add_run(Run::new().add_break(BreakType::Page)));
        }
        docx = docx
            .add_paragraph(paragraph(&s.title))
            .add_paragraph(paragraph(&sheet.region))
            .add_paragraph(paragraph(&s.sections[0]));
        let mut rows = vec![TableRow::new(vec![cell(&s.header[0]), cell(&s.header[1])])];
        for (goal, status) in &sheet.pairs {
            rows.push(TableRow::new(vec![cell(goal), cell(status)]));
        }
        docx = docx.add_table(Table::new(rows));
        for (section, bullets) in s.sections[1..].iter().zip(&sheet.bullets) {
            docx = docx.add_paragraph(paragraph(section));
            for b in bullets {
                docx = docx.add_paragraph(paragraph(&format!("・{b}")));
            }
        }
    }
    docx.build()
        .pack(std::fs::File::create(path).unwrap())
        .unwrap();
}

/// The sheets `n` times over (a large workbook or document for the benchmark).
pub fn repeat(s: Sheets, n: usize) -> Sheets {
    let sheets = s
        .sheets
        .iter()
        .cycle()
        .take(s.sheets.len() * n)
        .map(|sh| Sheet {
            name: sh.name.clone(),
            region: sh.region.clone(),
            pairs: sh.pairs.clone(),
            bullets: sh.bullets.clone(),
        })
        .collect();
    Sheets { sheets, ..s }
}
