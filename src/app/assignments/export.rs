//! Every submission of a meeting, ready to hand out: one Markdown document, a CSV that
//! opens directly in Excel, and an XLSX.

use super::Assignments;
use crate::app::AppError;
use crate::domain::clock::format_jst;
use crate::domain::forms::definition::expand;
use crate::domain::forms::document::{Cell, csv_headers, csv_values, render_markdown};
use crate::domain::ids::MeetingId;

/// All submissions of a meeting, ready to hand out.
#[derive(Debug, Clone)]
pub struct Export {
    pub markdown: String,
    /// UTF-8 with BOM and CRLF: opens directly in Excel.
    pub csv: Vec<u8>,
    pub xlsx: Vec<u8>,
    pub submitted: usize,
    /// What did not go into a file as it is (a cell continued elsewhere, one that could
    /// not be written), each with the region and the column, in Japanese.
    pub notes: Vec<String>,
}

/// An Excel cell holds at most this many characters.
const XLSX_CELL_CHARS: usize = 32_767;
/// A long answer is cut into parts of this many characters on the sheet of long answers.
const XLSX_PART_CHARS: usize = 30_000;
const LONG_SHEET: &str = "長い回答";

impl Assignments {
    /// Every submitted form of a meeting (latest versions): Markdown, CSV and XLSX.
    pub async fn export(&self, meeting_id: MeetingId) -> Result<Export, AppError> {
        let meeting = self.meetings.get(meeting_id).await?;
        let form = self.meetings.form_of(&meeting).await?;
        let submissions = self.store.submissions(meeting_id).await?;
        let mut md = format!(
            "# {}\n\n{}（{}）　締切: {}　書き出し: {}\n",
            meeting.name,
            expand(&form.title, meeting.fiscal_year),
            form.reference(),
            meeting.deadline_text(),
            format_jst(self.now())
        );
        let mut headers = vec![
            "地域".to_string(),
            "地域キー".into(),
            "版".into(),
            "提出日時".into(),
            "修正中".into(),
        ];
        headers.extend(csv_headers(&form, meeting.fiscal_year));
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        let mut not_submitted = Vec::new();
        for s in &submissions {
            let versions = self.store.versions(s.id).await?;
            let Some(latest) = versions.last() else {
                not_submitted.push(s.region_name.clone());
                continue;
            };
            let heading = format!(
                "提出: 第{}版（{}）{}",
                latest.version,
                format_jst(latest.submitted_at),
                if s.amended {
                    "　※ 提出後に修正中の下書きがあります"
                } else {
                    ""
                }
            );
            md.push('\n');
            md.push_str(&render_markdown(
                &form,
                meeting.fiscal_year,
                &s.region_name,
                &heading,
                &latest.answers,
            ));
            let mut row = vec![
                Cell::Text(s.region_name.clone()),
                Cell::Text(s.region_key.clone()),
                Cell::number(f64::from(latest.version)),
                Cell::Text(format_jst(latest.submitted_at)),
                Cell::Text(if s.amended {
                    "はい".into()
                } else {
                    String::new()
                }),
            ];
            row.extend(csv_values(&form, &latest.answers));
            rows.push(row);
        }
        md.insert_str(
            md.find('\n').map(|i| i + 1).unwrap_or(0),
            &format!(
                "\n提出 {}地域{}\n",
                rows.len(),
                if not_submitted.is_empty() {
                    String::new()
                } else {
                    format!("　未提出（下書きのみ）: {}", not_submitted.join("、"))
                }
            ),
        );
        let (xlsx, notes) = to_xlsx(&meeting.name, &headers, &rows)?;
        Ok(Export {
            csv: to_csv(&headers, &rows),
            xlsx,
            markdown: md,
            submitted: rows.len(),
            notes,
        })
    }
}

/// A CSV field. Text that a spreadsheet would take for a formula (「=」「+」「-」「@」 or a
/// tab or carriage return first: CSV injection) is kept as text with a leading 「'」.
fn csv_field(cell: &Cell) -> String {
    let s = match cell {
        Cell::Text(t) if t.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{t}"),
        other => other.text().to_string(),
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// CSV as Japanese offices open it: UTF-8 with a BOM, CRLF line ends.
fn to_csv(headers: &[String], rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    let header: Vec<Cell> = headers.iter().map(|h| Cell::Text(h.clone())).collect();
    for line in std::iter::once(&header).chain(rows) {
        out.push_str(&line.iter().map(csv_field).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// The workbook, and notes on what did not fit as it is. A cell longer than Excel takes
/// is cut, and the whole answer goes on the sheet 「長い回答」 in parts; a cell that
/// cannot be written at all is left empty and named in the notes — never the whole file.
fn to_xlsx(
    title: &str,
    headers: &[String],
    rows: &[Vec<Cell>],
) -> Result<(Vec<u8>, Vec<String>), AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| AppError::caused("writing the xlsx", e);
    let mut notes = Vec::new();
    let mut long: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let name: String = title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    sheet
        .set_name(if name.is_empty() || name == LONG_SHEET {
            "事前課題"
        } else {
            &name
        })
        .map_err(err)?;
    let bold = Format::new().set_bold().set_text_wrap();
    let wrap = Format::new().set_text_wrap();
    for (c, h) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, h, &bold)
            .map_err(err)?;
        sheet
            .set_column_width(c as u16, if c < 2 { 18 } else { 24 })
            .map_err(err)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let region = row
            .first()
            .map(|c| c.text().to_string())
            .unwrap_or_default();
        for (c, cell) in row.iter().enumerate() {
            let column = headers.get(c).cloned().unwrap_or_default();
            let (r, c) = (r as u32 + 1, c as u16);
            let written = match cell {
                // Figures stay numbers so the office can sum them.
                Cell::Number { value, .. } if value.is_finite() => {
                    sheet.write_number(r, c, *value).map(|_| ())
                }
                other => {
                    let text = other.text();
                    if text.chars().count() > XLSX_CELL_CHARS {
                        let parts = split_chars(text, XLSX_PART_CHARS);
                        let shown: String = text.chars().take(XLSX_PART_CHARS).collect();
                        let cut =
                            format!("{shown}…\n（続きはシート「{LONG_SHEET}」に全文があります）");
                        notes.push(format!(
                            "{region}の「{column}」は{}文字あり、Excel の上限（{XLSX_CELL_CHARS}文字）を超えるため、全文をシート「{LONG_SHEET}」に{}つに分けて書き出しました。",
                            text.chars().count(),
                            parts.len()
                        ));
                        long.push((region.clone(), column.clone(), parts));
                        sheet
                            .write_string_with_format(r, c, &cut, &wrap)
                            .map(|_| ())
                    } else {
                        sheet
                            .write_string_with_format(r, c, text, &wrap)
                            .map(|_| ())
                    }
                }
            };
            if let Err(e) = written {
                tracing::warn!(error = %e, region, column, "a cell could not be written");
                notes.push(format!(
                    "{region}の「{column}」は Excel に書き出せませんでした（{e}）。CSV と Markdown には入っています。"
                ));
            }
        }
    }
    sheet.set_freeze_panes(1, 1).map_err(err)?;
    if !long.is_empty() {
        let sheet = book.add_worksheet();
        sheet.set_name(LONG_SHEET).map_err(err)?;
        for (c, h) in ["地域", "項目", "部分", "内容"].iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, *h, &bold)
                .map_err(err)?;
        }
        sheet.set_column_width(3, 100).map_err(err)?;
        let mut r = 1;
        for (region, column, parts) in &long {
            let n = parts.len();
            for (k, part) in parts.iter().enumerate() {
                sheet.write_string(r, 0, region).map_err(err)?;
                sheet.write_string(r, 1, column).map_err(err)?;
                sheet
                    .write_string(r, 2, format!("{}/{n}", k + 1))
                    .map_err(err)?;
                sheet
                    .write_string_with_format(r, 3, part, &wrap)
                    .map_err(err)?;
                r += 1;
            }
        }
    }
    Ok((book.save_to_buffer().map_err(err)?, notes))
}

/// Text in pieces of at most `n` characters.
fn split_chars(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(n).map(|c| c.iter().collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_keeps_formulas_as_text_and_numbers_as_numbers() {
        let cell = |s: &str| csv_field(&Cell::Text(s.into()));
        assert_eq!(cell("=SUM(A1:A9)"), "'=SUM(A1:A9)");
        assert_eq!(cell("+81-3"), "'+81-3");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("@cmd"), "'@cmd");
        assert_eq!(cell("inf"), "inf", "a word stays a word");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(csv_field(&Cell::number(920471.0)), "920471");
        assert_eq!(
            csv_field(&Cell::number(-3.5)),
            "-3.5",
            "a figure is not text"
        );
    }

    #[test]
    fn a_cell_too_long_for_excel_costs_no_other_cell() {
        let headers = vec!["地域".to_string(), "成果".to_string()];
        let long = "あ".repeat(45_000);
        let rows = vec![
            vec![Cell::Text("世田谷区".into()), Cell::Text(long)],
            vec![Cell::Text("葛飾区".into()), Cell::Text("inf".into())],
        ];
        let (xlsx, notes) = to_xlsx("会議", &headers, &rows).unwrap();
        assert_eq!(&xlsx[..2], b"PK");
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("世田谷区")
                && notes[0].contains("長い回答")
                && notes[0].contains("2つ"),
            "{}",
            notes[0]
        );
    }
}
