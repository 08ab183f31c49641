//! Every submission of a meeting, ready to hand out: one Markdown document, a CSV that
//! opens directly in Excel, and an XLSX.

use super::Assignments;
use crate::app::AppError;
use crate::domain::clock::format_jst;
use crate::domain::forms::definition::expand;
use crate::domain::forms::document::{csv_headers, csv_values, render_markdown};
use crate::domain::ids::MeetingId;

/// All submissions of a meeting, ready to hand out.
#[derive(Debug, Clone)]
pub struct Export {
    pub markdown: String,
    /// UTF-8 with BOM and CRLF: opens directly in Excel.
    pub csv: Vec<u8>,
    pub xlsx: Vec<u8>,
    pub submitted: usize,
}

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
        let mut rows: Vec<Vec<String>> = Vec::new();
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
                s.region_name.clone(),
                s.region_key.clone(),
                latest.version.to_string(),
                format_jst(latest.submitted_at),
                if s.amended {
                    "はい".into()
                } else {
                    String::new()
                },
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
        Ok(Export {
            csv: to_csv(&headers, &rows),
            xlsx: to_xlsx(&meeting.name, &headers, &rows)?,
            markdown: md,
            submitted: rows.len(),
        })
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// CSV as Japanese offices open it: UTF-8 with a BOM, CRLF line ends.
fn to_csv(headers: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    for line in std::iter::once(headers.to_vec()).chain(rows.iter().cloned()) {
        out.push_str(
            &line
                .iter()
                .map(|c| csv_field(c))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn to_xlsx(title: &str, headers: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| AppError::caused("writing the xlsx", e);
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let name: String = title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    sheet
        .set_name(if name.is_empty() {
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
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            // Plain numbers stay numbers so the office can sum them.
            match v.parse::<f64>() {
                Ok(n) if !v.is_empty() && c >= 5 => sheet.write_number(r, c, n).map_err(err)?,
                _ => sheet
                    .write_string_with_format(r, c, v, &wrap)
                    .map_err(err)?,
            };
        }
    }
    sheet.set_freeze_panes(1, 1).map_err(err)?;
    book.save_to_buffer().map_err(err)
}
