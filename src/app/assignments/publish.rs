//! A submitted version becomes a document that search finds at once, cited as the
//! region's submission for the meeting.

use sha2::{Digest, Sha256};

use super::Assignments;
use crate::domain::clock::format_jst;
use crate::domain::forms::answer::{Answer, format_number};
use crate::domain::forms::conversation::Message;
use crate::domain::forms::definition::FieldKind;
use crate::domain::forms::document::sections_text;
use crate::domain::forms::{Answers, FormDef};
use crate::domain::meetings::meeting::Meeting;
use crate::domain::ports::{SourcedDocument, Submission, SubmittedVersion};
use crate::domain::search::figures::{Figure, FigureDate, FigureDef, UNSTATED};
use crate::domain::search::passage::{
    Document, FORM_SUBMISSION, Passage, RegionFigures, RegionSource,
};
use crate::domain::search::region::{Region, RegionKind};

/// Passage pieces of at most this many characters, cut at line ends.
const PIECE_CHARS: usize = 320;

fn pieces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        if !cur.is_empty() && cur.chars().count() + line.chars().count() > PIECE_CHARS {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push('\n');
        }
        cur.push_str(line);
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

impl Assignments {
    /// Makes a version just submitted searchable, and says so.
    pub(super) async fn published(
        &self,
        meeting: &Meeting,
        form: &FormDef,
        submission: &Submission,
        version: &SubmittedVersion,
    ) -> Message {
        let document =
            self.submission_document(meeting, form, submission, &version.answers, version.version);
        let sha = format!(
            "{:x}",
            Sha256::digest(serde_json::to_vec(&version.answers).unwrap_or_default())
        );
        // The submission is recorded; if indexing fails it is repaired at the next start
        // (the index is rebuilt from the database), so this is logged, not refused.
        if let Err(e) = self
            .library
            .publish(vec![SourcedDocument {
                document,
                source_path: format!("submission:{}", submission.id),
                sha256: sha,
                lexicon: self.library.lexicon().fingerprint.clone(),
            }])
            .await
        {
            tracing::error!(error = %e.chain(), submission = %submission.id, "a submission could not be indexed yet");
        }
        Message {
            text: format!(
                "提出しました（第{}版・{}）。{}の{}として、検索にもすぐ反映されます。締切（{}）までは修正して再提出できます。",
                version.version,
                format_jst(version.submitted_at),
                submission.region_name,
                meeting.name,
                meeting.deadline_text()
            ),
            ..Default::default()
        }
    }

    /// The document search indexes for a submitted version: one passage per piece of each
    /// answered section, cited as the region's submission for the meeting.
    fn submission_document(
        &self,
        meeting: &Meeting,
        form: &FormDef,
        submission: &Submission,
        answers: &Answers,
        version: u32,
    ) -> Document {
        let lex = self.library.lexicon();
        let region = lex
            .gazetteer
            .parse_region(&submission.region_name)
            .filter(|r| r.key() == submission.region_key)
            .unwrap_or_else(|| {
                let path: Vec<String> = submission
                    .region_key
                    .split('/')
                    .map(str::to_string)
                    .collect();
                Region {
                    name: submission.region_name.clone(),
                    prefecture: path
                        .first()
                        .filter(|p| lex.gazetteer.is_prefecture(p))
                        .cloned(),
                    kind: RegionKind::Unknown,
                    path,
                }
            });
        let id = format!(
            "submission-{}-{}",
            meeting.id,
            submission.region_key.replace('/', "_")
        );
        // 「第1回AD合同会議「事前課題」（世田谷区・第2版）」: the meeting's name already says
        // which meeting; the form's full title would repeat it.
        let title = format!(
            "{}「{}」（{}・第{}版）",
            meeting.name, form.kind, submission.region_name, version
        );
        let mut passages = Vec::new();
        for (section, text) in sections_text(form, meeting.fiscal_year, answers) {
            for piece in pieces(&text) {
                let normalized = lex.normalizer.normalize(&format!("{section}\n{piece}"));
                let ordinal = passages.len() as u32;
                passages.push(Passage {
                    id: format!("{id}#{ordinal}"),
                    doc: id.clone(),
                    doc_title: title.clone(),
                    ordinal,
                    region: region.clone(),
                    region_source: RegionSource::Registered,
                    fiscal_year: meeting.fiscal_year,
                    form: FORM_SUBMISSION.to_string(),
                    section: section.clone(),
                    topics: lex.taxonomy.tag(&normalized),
                    text: piece,
                });
            }
        }
        Document {
            id,
            title,
            form: FORM_SUBMISSION.to_string(),
            fiscal_year: meeting.fiscal_year,
            sheets: 1,
            passages,
            figures: submitted_figures(form, answers, &region, lex.figures.defs()),
            warnings: Vec::new(),
        }
    }
}

/// The basic figures a submitted sheet gives (its number questions share their ids with
/// `index/figures.toml`): each one the form asks, stated or 記載なし, so questions about
/// figures are answered from submissions as from ingested sheets.
fn submitted_figures(
    form: &FormDef,
    answers: &Answers,
    region: &Region,
    defs: &[FigureDef],
) -> Vec<RegionFigures> {
    let figures: Vec<Figure> =
        defs.iter()
            .filter_map(|def| {
                let question = form.question(&def.id)?;
                let unit = match &question.kind {
                    FieldKind::Number { unit, .. } => unit.clone(),
                    _ => def.unit.clone(),
                };
                let (value, as_of) = match answers.get(&def.id) {
                    Some(Answer::Number { value, as_of })
                    | Some(Answer::Percent { value, as_of }) => (Some(*value), *as_of),
                    _ => (None, None),
                };
                Some(Figure {
                    id: def.id.clone(),
                    label: def.label.clone(),
                    value,
                    text: match value {
                        Some(v) if def.percent => format!("{}%", format_number(v)),
                        Some(v) => format!("{}{unit}", format_number(v)),
                        None => UNSTATED.to_string(),
                    },
                    as_of: as_of.map(|a| FigureDate {
                        year: a.year,
                        month: a.month,
                    }),
                })
            })
            .collect();
    if figures.is_empty() {
        return Vec::new();
    }
    vec![RegionFigures {
        region: region.clone(),
        figures,
    }]
}
