//! XLSX through calamine, cell by cell (`worksheet_cells_reader`, sparse: a stray cell in
//! XFD1048576 costs one cell, not a dense 17-billion-cell grid).
//!
//! - Sheets in workbook order; hidden and very hidden sheets (drop-down lists) skipped, with
//!   a warning naming them; chart sheets skipped.
//! - Values as the sheet shows them (numfmt.rs): 920471 with #,##0 → 920,471; 0.625 with
//!   0.0% → 62.5%; dates with their format, era formats included (令和3年4月1日), ISO
//!   (2021-04-01) when the format is not a date pattern we know; formulas → cached values;
//!   furigana (phonetic runs) are skipped by calamine.
//! - Merged cells: the value stays in the first cell; a merge spanning several rows also
//!   repeats its value into the rows it spans that have other content, when the value is
//!   short (≤ 30 characters: a label such as 「入院精神障害者数」), so that each of those
//!   rows reads label | sub-label | value on its own. Long merged prose is not repeated.
//! - Blocks: rows separated by an empty row form groups; inside a group, a row with two or
//!   more non-empty cells is a table row; a row with a single non-empty cell is a Paragraph
//!   (a title, a heading, a 「・」 bullet), unless it sits between two table rows, where it
//!   stays a table row. A table keeps the columns used by any of its rows, in order, so
//!   達成目標 | 取組状況 pairs and label | value | unit | 時点 rows stay rows.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;

use calamine::{DataRef, Reader, SheetType, SheetVisible, Xlsx, XlsxError};

use super::numfmt::{builtin_ja, format_datetime, format_number, general};
use super::{Block, Extracted, Format, Limits, Part, ReadError, zipguard};

type Rows = BTreeMap<u32, BTreeMap<u32, String>>;

/// Longest merged value (in characters) repeated into the rows its merge spans.
const REPEAT_MAX_CHARS: usize = 30;

pub(crate) fn read_xlsx(bytes: &[u8], limits: &Limits) -> Result<Extracted, ReadError> {
    zipguard::open_checked(bytes, limits)?;
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(xlsx_error)?;
    let sheets = wb.sheets_metadata().to_vec();
    let mut parts = Vec::new();
    let mut warnings = Vec::new();
    let mut hidden = Vec::new();
    // Bytes of cell text still allowed (Limits::max_text_bytes over all sheets): bounds the
    // memory of the sparse cell maps whatever the sheets hold.
    let mut budget = limits.max_text_bytes;
    for sheet in sheets {
        if sheet.visible != SheetVisible::Visible {
            hidden.push(sheet.name);
            continue;
        }
        if sheet.typ != SheetType::WorkSheet {
            continue;
        }
        let mut rows = match read_cells(&mut wb, &sheet.name, &mut budget) {
            Ok(rows) => rows,
            Err(XlsxError::NotAWorksheet(_)) => continue,
            Err(e) => return Err(xlsx_error(e)),
        };
        if budget == 0 {
            return Err(ReadError::TooMuchText {
                limit: limits.max_text_bytes,
            });
        }
        match wb.merge_cells_by_sheet_name(&sheet.name) {
            Ok(merges) => {
                for m in merges {
                    repeat_merged(&mut rows, m.start, m.end);
                }
            }
            Err(e) => warnings.push(format!(
                "シート「{}」の結合セルの情報を読めませんでした（{e}）",
                sheet.name
            )),
        }
        parts.push(Part {
            name: Some(sheet.name),
            blocks: rows_to_blocks(&rows),
        });
    }
    if !hidden.is_empty() {
        warnings.push(format!(
            "非表示のシートは読み飛ばしました（{}）",
            hidden
                .iter()
                .map(|n| format!("「{n}」"))
                .collect::<String>()
        ));
    }
    Ok(Extracted {
        format: Format::Xlsx,
        parts,
        warnings,
    })
}

/// The sheet's non-empty cells as shown; stops early (leaving `budget` at 0) once the text
/// exceeds the budget.
fn read_cells(
    wb: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    budget: &mut u64,
) -> Result<Rows, XlsxError> {
    let mut reader = wb.worksheet_cells_reader(name)?;
    let formats: Vec<String> = reader
        .styles()
        .iter()
        .map(|s| match &s.number_format {
            Some(n) => match n.format_id.and_then(builtin_ja) {
                Some(ja) => ja.to_string(),
                None => n.format_code.clone(),
            },
            None => "General".to_string(),
        })
        .collect();
    let mut rows = Rows::new();
    while let Some((cell, style)) = reader.next_cell_with_style_id()? {
        let code = formats.get(style).map(String::as_str).unwrap_or("General");
        let text = render(cell.get_value(), code);
        if !text.is_empty() {
            let cost = text.len() as u64 + 16;
            if cost > *budget {
                *budget = 0;
                return Ok(rows);
            }
            *budget -= cost;
            let (r, c) = cell.get_position();
            rows.entry(r).or_default().insert(c, text);
        }
    }
    Ok(rows)
}

fn render(v: &DataRef<'_>, code: &str) -> String {
    match v {
        DataRef::String(s) => clean(s),
        DataRef::SharedString(s) => clean(s),
        DataRef::Int(i) => format_number(*i as f64, code),
        DataRef::Float(f) => format_number(*f, code),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::DateTime(dt) => {
            if dt.is_duration() {
                general(dt.as_f64())
            } else if is_date_code(code) {
                format_datetime(dt.to_ymd_hms_milli(), code)
            } else {
                let (y, m, d, h, mi, s, _) = dt.to_ymd_hms_milli();
                if (h, mi, s) == (0, 0, 0) {
                    format!("{y:04}-{m:02}-{d:02}")
                } else {
                    format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}")
                }
            }
        }
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
        DataRef::Empty => String::new(),
    }
}

/// Whether a format code has date/time fields outside quotes and brackets.
fn is_date_code(code: &str) -> bool {
    let (mut quote, mut bracket) = (false, false);
    for c in code.chars() {
        match c {
            '"' => quote = !quote,
            '[' if !quote => bracket = true,
            ']' if !quote => bracket = false,
            'y' | 'Y' | 'm' | 'M' | 'd' | 'D' | 'h' | 'H' | 's' | 'S' | 'g' | 'e'
                if !quote && !bracket =>
            {
                return true;
            }
            _ => {}
        }
    }
    false
}

/// Cell text: CRLF → LF, each line's trailing spaces and the ends trimmed.
fn clean(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = s.split('\n').map(str::trim_end).collect();
    lines.join("\n").trim().to_string()
}

fn repeat_merged(rows: &mut Rows, start: (u32, u32), end: (u32, u32)) {
    if end.0 <= start.0 {
        return;
    }
    let Some(value) = rows.get(&start.0).and_then(|r| r.get(&start.1)).cloned() else {
        return;
    };
    if value.chars().count() > REPEAT_MAX_CHARS {
        return;
    }
    for (_, row) in rows.range_mut(start.0 + 1..=end.0) {
        row.entry(start.1).or_insert_with(|| value.clone());
    }
}

fn rows_to_blocks(rows: &Rows) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut group: Vec<&BTreeMap<u32, String>> = Vec::new();
    let mut last: Option<u32> = None;
    for (&r, cells) in rows {
        if last.is_some_and(|l| r != l + 1) {
            group_blocks(&group, &mut blocks);
            group.clear();
        }
        group.push(cells);
        last = Some(r);
    }
    group_blocks(&group, &mut blocks);
    blocks
}

fn group_blocks(group: &[&BTreeMap<u32, String>], blocks: &mut Vec<Block>) {
    let multi = |i: usize| group[i].len() >= 2;
    let mut table: Vec<&BTreeMap<u32, String>> = Vec::new();
    for i in 0..group.len() {
        let in_table = multi(i) || (i > 0 && i + 1 < group.len() && multi(i - 1) && multi(i + 1));
        if in_table {
            table.push(group[i]);
        } else {
            flush_table(&mut table, blocks);
            if let Some(text) = group[i].values().next() {
                blocks.push(Block::Paragraph(text.clone()));
            }
        }
    }
    flush_table(&mut table, blocks);
}

/// Cells a rectangular table may hold (blank padding included).
const MAX_TABLE_CELLS: usize = 1_000_000;

fn flush_table(table: &mut Vec<&BTreeMap<u32, String>>, blocks: &mut Vec<Block>) {
    if table.is_empty() {
        return;
    }
    let cols: BTreeSet<u32> = table.iter().flat_map(|r| r.keys().copied()).collect();
    // A table made rectangular holds rows × columns cells: a sheet whose few cells spread
    // over thousands of columns would need billions. Past a bound each row keeps only its
    // own cells (the text is the same; only the blank padding is left out).
    if table.len().saturating_mul(cols.len()) > MAX_TABLE_CELLS {
        for r in table.iter() {
            blocks.push(Block::Table(vec![r.values().cloned().collect()]));
        }
        table.clear();
        return;
    }
    let rows = table
        .iter()
        .map(|r| {
            cols.iter()
                .map(|c| r.get(c).cloned().unwrap_or_default())
                .collect()
        })
        .collect();
    blocks.push(Block::Table(rows));
    table.clear();
}

fn xlsx_error(e: XlsxError) -> ReadError {
    match e {
        XlsxError::Password => ReadError::Encrypted,
        XlsxError::Zip(z) => zipguard::zip_error(&z, None),
        other => ReadError::Damaged {
            detail: format!("Excelファイルとして読めません: {other}"),
        },
    }
}
