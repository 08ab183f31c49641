//! Lines, pages and what each line is.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::domain::era::find_years;
use crate::domain::search::lexicon::{FormLayout, Lexicon};
use crate::domain::search::region::Region;
use crate::domain::text::clean_control;

use super::PREAMBLE_SECTION;

#[derive(Debug, Clone, PartialEq)]
pub enum LineKind {
    Blank,
    /// Page numbers and other page furniture.
    Furniture,
    /// The form's title (a running header or footer on form pages).
    Title,
    /// A line that is only a region name.
    Region(Region),
    /// A section heading: index into the form's section rules.
    Heading(usize),
    Content,
}

#[derive(Debug, Clone)]
pub struct Line {
    /// 1-based line number in the file, for messages.
    pub number: usize,
    /// The line as written, without trailing whitespace.
    pub raw: String,
    /// NFKC + variant folding, trimmed.
    pub norm: String,
    pub page: usize,
    pub kind: LineKind,
}

impl Line {
    fn is_substantial(&self) -> bool {
        !matches!(self.kind, LineKind::Blank | LineKind::Furniture)
    }
}

/// A run of lines about one region.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub start: usize,
    pub end: usize,
    /// The region line that heads or foots the sheet, if any.
    pub banner: Option<Region>,
}

/// A section of a sheet: its title and the indices of its content lines.
#[derive(Debug, Clone)]
pub struct Section {
    pub title: String,
    pub heading: Option<usize>,
    pub lines: Vec<usize>,
}

#[derive(Debug)]
pub struct Layout {
    pub lines: Vec<Line>,
    /// The recognized form kind, `None` for other material (slides, reports).
    pub form: Option<String>,
    layout: Option<FormLayout>,
}

static SECTION_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[0-9]{1,2}(\s|[.．、)）])").expect("valid regex"));
static LONE_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[0-9]{1,2}$").expect("valid regex"));
static PAGE_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[-–—―\s]*[0-9]{1,3}[-–—―\s]*(/\s*[0-9]{1,3})?$").expect("valid regex")
});

/// Characters that start a bullet or list item; a heading never starts with one.
pub const BULLETS: &[char] = &[
    '・', '･', '•', '○', '〇', '●', '◎', '◆', '◇', '■', '□', '※', '▼', '▽', '▶', '►', '➢', '✓',
    '→', '-', '①', '②', '③', '④', '⑤', '⑥', '⑦', '⑧', '⑨', '⑩', '⑪', '⑫', '⑬', '⑭', '⑮', '⑯', '⑰',
    '⑱', '⑲', '⑳',
];

/// Is this line shaped like a heading (short, not a sentence, not a bullet)?
fn heading_shaped(norm: &str, prev: Option<&str>) -> bool {
    let n = norm.chars().count();
    if n == 0 || n > 60 || norm.ends_with('。') || norm.starts_with(BULLETS) {
        return false;
    }
    SECTION_NUMBER.is_match(norm) || prev.is_some_and(|p| LONE_NUMBER.is_match(p)) || n <= 30
}

impl Layout {
    pub fn read(text: &str, lex: &Lexicon) -> Layout {
        let cleaned = clean_control(text);
        // A form feed is a page break wherever it stands: give it its own line start.
        let cleaned = cleaned.replace('\u{000C}', "\n\u{000C}");
        let raws: Vec<&str> = cleaned.split('\n').collect();
        let mut lines: Vec<Line> = Vec::new();
        let mut page = 0usize;
        let mut prev_blank = true;
        let mut break_pending = false;
        let mut number = 0usize;
        for (k, raw) in raws.iter().enumerate() {
            let form_feed = raw.starts_with('\u{000C}');
            if !form_feed {
                number += 1;
            }
            let raw = raw.trim_start_matches('\u{000C}').trim_end();
            let norm = lex.normalizer.normalize(raw.trim());
            let blank = norm.is_empty();
            // PDF extraction starts a page with a line indented by one space directly after
            // the previous page's last line; a lone page number ends a page.
            let indented = raw.starts_with([' ', '\u{3000}', '\t']);
            let new_page = !lines.is_empty()
                && (form_feed || (indented && !prev_blank && !blank) || (break_pending && !blank));
            if new_page {
                page += 1;
                break_pending = false;
            }
            if form_feed && blank {
                continue;
            }
            // A lone number followed by text on the very next line labels that text (a
            // section or table item number); followed by a blank line it is a page number.
            let next_blank = raws.get(k + 1).is_none_or(|n| n.trim().is_empty());
            let page_number = !blank && PAGE_NUMBER.is_match(&norm);
            if page_number && next_blank {
                break_pending = true;
            }
            let furniture =
                !blank && (page_number || lex.furniture.iter().any(|r| r.is_match(&norm)));
            lines.push(Line {
                number: number.max(1),
                raw: raw.to_string(),
                norm,
                page,
                kind: if blank {
                    LineKind::Blank
                } else if furniture {
                    LineKind::Furniture
                } else {
                    LineKind::Content
                },
            });
            prev_blank = blank;
        }

        let layout = detect_form(&lines, lex).cloned();
        let mut prev_norm: Option<String> = None;
        for line in lines.iter_mut() {
            if line.kind != LineKind::Content {
                if line.kind == LineKind::Furniture {
                    prev_norm = Some(line.norm.clone());
                }
                continue;
            }
            let norm = line.norm.as_str();
            let is_title = norm.chars().count() <= 100
                && !norm.ends_with('。')
                && lex
                    .forms
                    .iter()
                    .any(|f| f.title_markers.iter().any(|m| norm.contains(m.as_str())));
            line.kind = if is_title {
                LineKind::Title
            } else if let Some(idx) = layout.as_ref().and_then(|f| {
                if heading_shaped(norm, prev_norm.as_deref()) {
                    f.sections.iter().position(|s| s.matches(norm))
                } else {
                    None
                }
            }) {
                LineKind::Heading(idx)
            } else if let Some(region) = lex.gazetteer.parse_region(&line.raw) {
                LineKind::Region(region)
            } else {
                LineKind::Content
            };
            prev_norm = Some(line.norm.clone());
        }
        Layout {
            lines,
            form: layout.as_ref().map(|f| f.kind.clone()),
            layout,
        }
    }

    fn section_title(&self, idx: usize) -> String {
        self.layout
            .as_ref()
            .and_then(|f| f.sections.get(idx))
            .map(|s| s.title.clone())
            .unwrap_or_default()
    }

    /// The index of the previous/next substantial line, not crossing `bound`.
    fn neighbour(&self, i: usize, forward: bool) -> Option<usize> {
        if forward {
            (i + 1..self.lines.len()).find(|&j| self.lines[j].is_substantial())
        } else {
            (0..i).rev().find(|&j| self.lines[j].is_substantial())
        }
    }

    /// Is the line the first or last substantial line of its page?
    fn at_page_edge(&self, i: usize) -> bool {
        let page = self.lines[i].page;
        let first = self
            .neighbour(i, false)
            .is_none_or(|j| self.lines[j].page != page);
        let last = self
            .neighbour(i, true)
            .is_none_or(|j| self.lines[j].page != page);
        first || last
    }

    fn next_to_title(&self, i: usize) -> bool {
        [self.neighbour(i, false), self.neighbour(i, true)]
            .into_iter()
            .flatten()
            .any(|j| self.lines[j].kind == LineKind::Title)
    }

    /// Splits the document into region sheets. A form whose first section repeats holds
    /// one sheet per region; anything else is a single sheet.
    pub fn sheets(&self) -> Vec<Sheet> {
        let mut starts: Vec<usize> = Vec::new();
        let mut content_since_start = true;
        for (i, line) in self.lines.iter().enumerate() {
            match line.kind {
                LineKind::Heading(0) if content_since_start => {
                    starts.push(i);
                    content_since_start = false;
                }
                LineKind::Heading(0) => {}
                LineKind::Content | LineKind::Heading(_) => content_since_start = true,
                _ => {}
            }
        }
        if starts.len() <= 1 {
            return vec![Sheet {
                start: 0,
                end: self.lines.len(),
                banner: None,
            }];
        }
        let mut sheets: Vec<Sheet> = starts
            .iter()
            .enumerate()
            .map(|(k, &s)| Sheet {
                start: if k == 0 { 0 } else { s },
                end: starts.get(k + 1).copied().unwrap_or(self.lines.len()),
                banner: None,
            })
            .collect();

        // Attach each region line that sits next to a title or on a page edge to its sheet:
        // to the sheet that starts right after it on the same page (a header), otherwise to
        // the sheet it stands in (a footer).
        let mut best: Vec<Option<(u8, Region)>> = vec![None; sheets.len()];
        for (i, line) in self.lines.iter().enumerate() {
            let LineKind::Region(region) = &line.kind else {
                continue;
            };
            let tier = if self.next_to_title(i) {
                2
            } else if self.at_page_edge(i) {
                1
            } else {
                continue;
            };
            let next_content = (i + 1..self.lines.len())
                .find(|&j| matches!(self.lines[j].kind, LineKind::Content | LineKind::Heading(_)));
            let heads = next_content
                .filter(|&j| self.lines[j].page == line.page)
                .and_then(|j| starts.iter().position(|&s| s == j));
            let sheet = heads.unwrap_or_else(|| starts.iter().rposition(|&s| s <= i).unwrap_or(0));
            if best[sheet].as_ref().is_none_or(|(t, _)| *t < tier) {
                best[sheet] = Some((tier, region.clone()));
            }
        }
        for (sheet, found) in sheets.iter_mut().zip(best) {
            sheet.banner = found.map(|(_, r)| r);
        }
        sheets
    }

    /// For a single-region document: the region line that heads it or its pages.
    pub fn header_region(&self, sheet: &Sheet) -> Option<Region> {
        if sheet.start != 0 || sheet.end != self.lines.len() {
            return None;
        }
        let regions: Vec<(usize, &Region)> = self
            .lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| match &l.kind {
                LineKind::Region(r) => Some((i, r)),
                _ => None,
            })
            .collect();
        // A region line among the document's first lines names the document.
        let first_lines: Vec<usize> = (0..self.lines.len())
            .filter(|&i| self.lines[i].is_substantial())
            .take(12)
            .collect();
        if let Some((_, r)) = regions.iter().find(|(i, _)| first_lines.contains(i)) {
            return Some((*r).clone());
        }
        // Otherwise the region that heads the most pages.
        let mut counts: HashMap<String, (usize, &Region)> = HashMap::new();
        for (i, r) in &regions {
            if self.at_page_edge(*i) || self.next_to_title(*i) {
                counts.entry(r.key()).or_insert((0, r)).0 += 1;
            }
        }
        counts
            .into_values()
            .max_by_key(|(n, _)| *n)
            .filter(|(n, _)| *n >= 2)
            .map(|(_, r)| r.clone())
    }

    /// The sections of a sheet with their content lines. Region lines naming the sheet's own
    /// region, banners, titles and furniture are left out.
    pub fn sections(&self, sheet: &Sheet, own_key: &str) -> Vec<Section> {
        let mut sections: Vec<Section> = vec![Section {
            title: PREAMBLE_SECTION.to_string(),
            heading: None,
            lines: Vec::new(),
        }];
        let by_page = self.form.is_none();
        let mut last_page = usize::MAX;
        for i in sheet.start..sheet.end {
            let line = &self.lines[i];
            match &line.kind {
                LineKind::Blank | LineKind::Furniture | LineKind::Title => {}
                LineKind::Region(r) => {
                    let banner_like =
                        r.key() == own_key || self.next_to_title(i) || self.at_page_edge(i);
                    if !banner_like {
                        self.push_content(&mut sections, i, by_page, &mut last_page);
                    }
                }
                LineKind::Heading(idx) => {
                    let title = self.section_title(*idx);
                    // A repeated heading (a table header under it, or a sub-heading like
                    // 「（２）」 or 「＜…＞」) continues the same section.
                    if sections.last().expect("never empty").title == title {
                        continue;
                    }
                    sections.push(Section {
                        title,
                        heading: Some(i),
                        lines: Vec::new(),
                    });
                }
                LineKind::Content => self.push_content(&mut sections, i, by_page, &mut last_page),
            }
        }
        self.attach_footer_headings(&mut sections);
        sections.retain(|s| !s.lines.is_empty());
        sections
    }

    fn push_content(
        &self,
        sections: &mut Vec<Section>,
        i: usize,
        by_page: bool,
        last_page: &mut usize,
    ) {
        let line = &self.lines[i];
        if by_page && line.page != *last_page {
            // Material without a known form (slides): each page is a section, titled by its
            // first line when that line reads like a title.
            *last_page = line.page;
            let title = if heading_shaped(&line.norm, None) && line.norm.chars().count() <= 40 {
                line.raw.split_whitespace().collect::<Vec<_>>().join(" ")
            } else {
                sections.last().expect("never empty").title.clone()
            };
            sections.push(Section {
                title,
                heading: None,
                lines: Vec::new(),
            });
        }
        sections.last_mut().expect("never empty").lines.push(i);
    }

    /// A heading printed at the foot of its page (after its table, as PDF extraction of some
    /// forms leaves it) owns that page's content above it.
    fn attach_footer_headings(&self, sections: &mut [Section]) {
        for k in 1..sections.len() {
            let Some(h) = sections[k].heading else {
                continue;
            };
            let page = self.lines[h].page;
            let content_after_on_page = sections[k]
                .lines
                .iter()
                .any(|&i| self.lines[i].page == page);
            let last_on_page = self
                .neighbour(h, true)
                .is_none_or(|j| self.lines[j].page != page || !self.is_content_kind(j));
            if content_after_on_page || !last_on_page {
                continue;
            }
            // Lines of the previous section on this page, below any earlier heading there.
            let prev = &sections[k - 1];
            let prev_heading_on_page = prev.heading.is_some_and(|ph| self.lines[ph].page == page);
            if prev_heading_on_page {
                continue;
            }
            let moved: Vec<usize> = prev
                .lines
                .iter()
                .copied()
                .filter(|&i| self.lines[i].page == page)
                .collect();
            if moved.is_empty() {
                continue;
            }
            sections[k - 1].lines.retain(|i| !moved.contains(i));
            let mut lines = moved;
            lines.extend(sections[k].lines.iter().copied());
            sections[k].lines = lines;
        }
    }

    fn is_content_kind(&self, i: usize) -> bool {
        matches!(self.lines[i].kind, LineKind::Content | LineKind::Heading(_))
    }

    /// The document's title: its form title line, else its first title-like line.
    pub fn title(&self) -> String {
        let collapse = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let substantial: Vec<usize> = (0..self.lines.len())
            .filter(|&i| self.lines[i].is_substantial())
            .collect();
        if let Some(pos) = substantial
            .iter()
            .position(|&i| self.lines[i].kind == LineKind::Title)
        {
            let i = substantial[pos];
            let mut title = collapse(&self.lines[i].raw);
            // 「精神障害にも対応した…事業」 on the line above completes a title like
            // 「「参加自治体状況共有」シート」.
            if pos == 1 {
                let above = &self.lines[substantial[0]];
                if above.kind == LineKind::Content && above.norm.chars().count() <= 40 {
                    title = format!("{} {}", collapse(&above.raw), title);
                }
            }
            return title;
        }
        substantial
            .iter()
            .map(|&i| &self.lines[i])
            .find(|l| {
                l.kind == LineKind::Content
                    && heading_shaped(&l.norm, None)
                    && l.norm.chars().count() >= 6
            })
            .map(|l| collapse(&l.raw))
            .unwrap_or_default()
    }

    /// The fiscal year the document reports on: the year in its title, else the reference
    /// date of its figures (「R３年４月時点」), else the latest dated row of a timeline.
    pub fn fiscal_year(&self) -> Option<i32> {
        for line in &self.lines {
            if line.kind == LineKind::Title
                && let Some(m) = find_years(&line.norm)
                    .into_iter()
                    .find(|m| m.explicit_fiscal)
            {
                return Some(m.fiscal_year);
            }
        }
        let mut as_of: HashMap<i32, usize> = HashMap::new();
        for line in &self.lines {
            for m in find_years(&line.norm) {
                let after = &line.norm[m.span.end..];
                if after.trim_start().starts_with("時点") {
                    *as_of.entry(m.fiscal_year).or_default() += 1;
                }
            }
        }
        if let Some((&y, _)) = as_of.iter().max_by_key(|(y, n)| (**n, **y)) {
            return Some(y);
        }
        self.lines
            .iter()
            .filter_map(|l| {
                find_years(&l.norm)
                    .into_iter()
                    .find(|m| m.span.start == 0 && m.explicit_fiscal)
                    .map(|m| m.fiscal_year)
            })
            .max()
    }
}

/// The form whose title and section headings a document shows most.
fn detect_form<'a>(lines: &[Line], lex: &'a Lexicon) -> Option<&'a FormLayout> {
    let mut best: Option<(usize, bool, &FormLayout)> = None;
    for form in &lex.forms {
        let mut matched = vec![false; form.sections.len()];
        let mut prev: Option<&str> = None;
        for line in lines.iter().filter(|l| l.kind == LineKind::Content) {
            if heading_shaped(&line.norm, prev)
                && let Some(k) = form.sections.iter().position(|s| s.matches(&line.norm))
            {
                matched[k] = true;
            }
            prev = Some(&line.norm);
        }
        let score = matched.iter().filter(|m| **m).count();
        // A form's own title (a short line) and one of its sections also make the form:
        // a workbook may hold only the 基礎情報 sheet of a 自治体情報シート.
        let titled = lines.iter().any(|l| {
            l.kind == LineKind::Content
                && l.norm.chars().count() <= 40
                && form
                    .title_markers
                    .iter()
                    .any(|m| l.norm.contains(m.as_str()))
        });
        let enough = score >= 2 || (titled && score >= 1);
        // More sections win; at equal sections, the form whose own title is there.
        if enough && best.is_none_or(|(s, t, _)| (score, titled) > (s, t)) {
            best = Some((score, titled, form));
        }
    }
    best.map(|(_, _, f)| f)
}
