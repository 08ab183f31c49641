//! DOCX read directly: zip (checked by zipguard) + quick-xml over word/document.xml.
//!
//! Chosen over docx-rs's `read_docx` (measured in README.md): one XML pass with no model
//! to walk, the quick-xml that calamine already brings, and control over what Word hides in
//! the XML:
//! - paragraphs and tables in document order; content controls (w:sdt), insertions,
//!   smart tags and hyperlinks read through; deleted text (w:del), field codes
//!   (w:instrText) and ruby readings (w:rt, furigana) skipped; text boxes read once (the
//!   mc:Fallback VML copy skipped) as paragraphs after the paragraph that anchors them;
//! - runs joined, so a word split across runs reads whole; w:br/w:cr → line break, w:tab →
//!   tab;
//! - list numbering from numbering.xml (direct or through the paragraph style): bullets
//!   become 「・」 (the bullet character itself is often a Symbol-font private-use code),
//!   numbers are rendered with their level text (「(1)」「1.」「①」「ア」「一」…) and counted;
//! - tables as rows: a horizontally merged cell (gridSpan) is followed by empty cells so
//!   columns stay aligned; a vertically merged cell repeats a short value (≤ 30
//!   characters, as in xlsx.rs) into the rows it spans and is empty otherwise; a table
//!   nested in a cell is flattened into the cell's lines, one row per line, cells joined
//!   with " | ";
//! - headers and footers (deduplicated, page numbers dropped) and footnotes/endnotes are
//!   kept, in parts after the body named 「ヘッダー・フッター」 and 「脚注」: a region
//!   name sometimes stands only in a header.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::{Block, Extracted, Format, Limits, Part, ReadError, zipguard};

const REPEAT_MAX_CHARS: usize = 30;
const MAX_DEPTH: usize = 16;

pub(crate) fn read_docx(bytes: &[u8], limits: &Limits) -> Result<Extracted, ReadError> {
    let mut zip = zipguard::open_checked(bytes, limits)?;
    let cap = limits.max_unzipped;
    let doc = zipguard::read_entry(&mut zip, "word/document.xml", cap)?.ok_or_else(|| {
        ReadError::Damaged {
            detail: "Wordの本文（word/document.xml）がありません".into(),
        }
    })?;
    let mut warnings = Vec::new();
    let numbering = match zipguard::read_entry(&mut zip, "word/numbering.xml", cap)? {
        Some(x) => parse_numbering(&x).unwrap_or_else(|e| {
            warnings.push(format!("箇条書きの番号の定義を読めませんでした（{e}）"));
            Numbering::default()
        }),
        None => Numbering::default(),
    };
    let style_num = match zipguard::read_entry(&mut zip, "word/styles.xml", cap)? {
        Some(x) => parse_style_numbering(&x).unwrap_or_default(),
        None => HashMap::new(),
    };
    let mut ctx = Ctx {
        numbering,
        style_num,
        counters: HashMap::new(),
    };

    let body = parse_part(&doc, &mut ctx).map_err(damaged)?;
    let mut parts = vec![Part {
        name: None,
        blocks: body,
    }];

    // Headers and footers, then footnotes and endnotes.
    let mut names: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| {
            (n.starts_with("word/header") || n.starts_with("word/footer")) && n.ends_with(".xml")
        })
        .map(|n| n.into_owned())
        .collect();
    names.sort_by_key(|n| (n.starts_with("word/footer"), n.clone()));
    let mut seen = Vec::<String>::new();
    let mut hf = Vec::new();
    for name in &names {
        let Some(xml) = zipguard::read_entry(&mut zip, name, cap)? else {
            continue;
        };
        match parse_part(&xml, &mut ctx) {
            Ok(blocks) => {
                for b in blocks {
                    let key = block_key(&b);
                    let page_number = key.chars().all(|c| !c.is_alphabetic());
                    if !page_number && !seen.contains(&key) {
                        seen.push(key);
                        hf.push(b);
                    }
                }
            }
            Err(e) => warnings.push(format!(
                "ヘッダー・フッター（{name}）を読めませんでした（{e}）"
            )),
        }
    }
    if !hf.is_empty() {
        parts.push(Part {
            name: Some("ヘッダー・フッター".into()),
            blocks: hf,
        });
    }
    let mut notes = Vec::new();
    for name in ["word/footnotes.xml", "word/endnotes.xml"] {
        if let Some(xml) = zipguard::read_entry(&mut zip, name, cap)? {
            match parse_part(&xml, &mut ctx) {
                Ok(blocks) => notes.extend(blocks),
                Err(e) => warnings.push(format!("脚注（{name}）を読めませんでした（{e}）")),
            }
        }
    }
    if !notes.is_empty() {
        parts.push(Part {
            name: Some("脚注".into()),
            blocks: notes,
        });
    }
    Ok(Extracted {
        format: Format::Docx,
        parts,
        warnings,
    })
}

fn damaged(e: String) -> ReadError {
    ReadError::Damaged {
        detail: format!("Wordの本文のXMLが読めません: {e}"),
    }
}

fn block_key(b: &Block) -> String {
    match b {
        Block::Paragraph(p) => p.clone(),
        Block::Table(rows) => rows
            .iter()
            .map(|r| r.join("|"))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

// ---------------------------------------------------------------- numbering

#[derive(Debug, Clone, Default)]
struct LevelDef {
    start: i64,
    fmt: String,
    text: String,
}

#[derive(Debug, Default)]
struct Numbering {
    /// abstractNumId → ilvl → level
    abstract_levels: HashMap<String, HashMap<u8, LevelDef>>,
    /// numId → (abstractNumId, ilvl → start override)
    nums: HashMap<String, (String, HashMap<u8, i64>)>,
}

struct Ctx {
    numbering: Numbering,
    /// paragraph style id → (numId, ilvl)
    style_num: HashMap<String, (String, u8)>,
    /// numId → counters per level
    counters: HashMap<String, [i64; 9]>,
}

impl Ctx {
    fn level(&self, num_id: &str, ilvl: u8) -> Option<LevelDef> {
        let (abs, overrides) = self.numbering.nums.get(num_id)?;
        let mut lvl = self.numbering.abstract_levels.get(abs)?.get(&ilvl)?.clone();
        if let Some(s) = overrides.get(&ilvl) {
            lvl.start = *s;
        }
        Some(lvl)
    }

    /// The label of the next paragraph of list `num_id` at level `ilvl`.
    fn label(&mut self, num_id: &str, ilvl: u8) -> Option<String> {
        let ilvl = ilvl.min(8);
        let lvl = self.level(num_id, ilvl)?;
        if lvl.fmt == "bullet" {
            return Some("・".into());
        }
        if lvl.fmt == "none" {
            return None;
        }
        let starts: Vec<i64> = (0..9u8)
            .map(|l| self.level(num_id, l).map_or(1, |d| d.start))
            .collect();
        let counters = self
            .counters
            .entry(num_id.to_string())
            .or_insert_with(|| std::array::from_fn(|l| starts[l] - 1));
        counters[ilvl as usize] = counters[ilvl as usize].saturating_add(1);
        for l in (ilvl as usize + 1)..9 {
            counters[l] = starts[l] - 1;
        }
        let counters = *counters;
        let mut out = String::new();
        let mut chars = lvl.text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '%'
                && let Some(d) = chars.peek().and_then(|d| d.to_digit(10))
            {
                chars.next();
                let l = (d as usize).saturating_sub(1).min(8);
                let fmt = self
                    .level(num_id, l as u8)
                    .map(|d| d.fmt)
                    .unwrap_or_default();
                out.push_str(&format_counter(counters[l].max(0), &fmt));
            } else {
                out.push(c);
            }
        }
        let out = out.trim().to_string();
        (!out.is_empty()).then_some(out)
    }
}

fn format_counter(n: i64, fmt: &str) -> String {
    const AIUEO: &str = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン";
    const IROHA: &str = "イロハニホヘトチリヌルヲワカヨタレソツネナラムウヰノオクヤマケフコエテアサキユメミシヱヒモセス";
    const KANJI: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    const KAN: &str = "甲乙丙丁戊己庚辛壬癸";
    let cycle = |set: &str| {
        let v: Vec<char> = set.chars().collect();
        if n < 1 {
            n.to_string()
        } else {
            v[((n - 1) as usize) % v.len()].to_string()
        }
    };
    match fmt {
        "decimalFullWidth" | "decimalFullWidth2" => n
            .to_string()
            .chars()
            .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c))
            .collect(),
        "decimalZero" => format!("{n:02}"),
        "decimalEnclosedCircle" | "decimalEnclosedCircleChinese" if (1..=20).contains(&n) => {
            char::from_u32(0x2460 + n as u32 - 1)
                .map(String::from)
                .unwrap_or_default()
        }
        "upperLetter" | "lowerLetter" if n >= 1 => {
            let base = if fmt == "upperLetter" { b'A' } else { b'a' };
            let c = (base + ((n - 1) % 26) as u8) as char;
            c.to_string().repeat(((n - 1) / 26 + 1) as usize)
        }
        "upperRoman" | "lowerRoman" if (1..4000).contains(&n) => {
            let r = roman(n as u32);
            if fmt == "lowerRoman" {
                r.to_lowercase()
            } else {
                r
            }
        }
        "aiueo" | "aiueoFullWidth" => cycle(AIUEO),
        "iroha" | "irohaFullWidth" => cycle(IROHA),
        "ideographTraditional" => cycle(KAN),
        "japaneseCounting"
        | "japaneseDigitalTenThousand"
        | "ideographDigital"
        | "japaneseLegal"
        | "chineseCounting"
        | "chineseCountingThousand" => n
            .to_string()
            .chars()
            .map(|c| KANJI[c.to_digit(10).unwrap_or(0) as usize])
            .collect(),
        _ => n.to_string(),
    }
}

fn roman(mut n: u32) -> String {
    const T: [(u32, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut s = String::new();
    for (v, r) in T {
        while n >= v {
            s.push_str(r);
            n -= v;
        }
    }
    s
}

fn attr(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes().with_checks(false).flatten().find_map(|a| {
        let key: &str = a.key.as_ref();
        let name = key.rsplit(':').next().unwrap_or(key);
        (name == local).then(|| a.value.to_string())
    })
}

fn local(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_string()
}

/// A list's start value, kept in a range where counting cannot overflow.
fn parse_start(v: &str) -> i64 {
    v.parse::<i64>().unwrap_or(1).clamp(0, 100_000)
}

fn parse_numbering(xml: &[u8]) -> Result<Numbering, String> {
    let text = String::from_utf8_lossy(xml);
    let mut r = Reader::from_str(&text);
    let mut n = Numbering::default();
    let (mut abs, mut num, mut ilvl): (Option<String>, Option<String>, u8) = (None, None, 0);
    let mut lvl = LevelDef::default();
    loop {
        match r.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) | Event::Empty(e) => match local(&e).as_str() {
                // A repeated id: Word and LibreOffice use the first definition.
                "abstractNum" => {
                    abs = attr(&e, "abstractNumId").filter(|a| !n.abstract_levels.contains_key(a));
                    if let Some(a) = &abs {
                        n.abstract_levels.entry(a.clone()).or_default();
                    }
                }
                "num" => {
                    num = attr(&e, "numId").filter(|id| !n.nums.contains_key(id));
                    if let Some(id) = &num {
                        n.nums.entry(id.clone()).or_default();
                    }
                }
                "lvl" | "lvlOverride" => {
                    ilvl = attr(&e, "ilvl").and_then(|v| v.parse().ok()).unwrap_or(0);
                    lvl = LevelDef {
                        start: 1,
                        ..Default::default()
                    };
                }
                "start" => lvl.start = attr(&e, "val").map_or(1, |v| parse_start(&v)),
                "numFmt" => lvl.fmt = attr(&e, "val").unwrap_or_default(),
                "lvlText" => lvl.text = attr(&e, "val").unwrap_or_default(),
                "abstractNumId" => {
                    if let (Some(id), Some(a)) = (&num, attr(&e, "val")) {
                        n.nums.entry(id.clone()).or_default().0 = a;
                    }
                }
                "startOverride" => {
                    if let (Some(id), Some(v)) = (&num, attr(&e, "val").map(|v| parse_start(&v))) {
                        n.nums.entry(id.clone()).or_default().1.insert(ilvl, v);
                    }
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "lvl" => {
                    if let Some(a) = &abs {
                        let def = std::mem::take(&mut lvl);
                        n.abstract_levels
                            .entry(a.clone())
                            .or_default()
                            .insert(ilvl, def);
                    }
                }
                "abstractNum" => abs = None,
                "num" => num = None,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(n)
}

fn parse_style_numbering(xml: &[u8]) -> Result<HashMap<String, (String, u8)>, String> {
    let text = String::from_utf8_lossy(xml);
    let mut r = Reader::from_str(&text);
    let mut out = HashMap::new();
    let mut style: Option<String> = None;
    let (mut num, mut ilvl) = (None, 0u8);
    loop {
        match r.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) | Event::Empty(e) => match local(&e).as_str() {
                "style" => {
                    style = attr(&e, "styleId");
                    num = None;
                    ilvl = 0;
                }
                "numId" if style.is_some() => num = attr(&e, "val"),
                "ilvl" if style.is_some() => {
                    ilvl = attr(&e, "val").and_then(|v| v.parse().ok()).unwrap_or(0)
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == "style" => {
                if let (Some(s), Some(n)) = (style.take(), num.take()) {
                    out.insert(s, (n, ilvl));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- body

type XmlReader<'a> = Reader<&'a [u8]>;

fn parse_part(xml: &[u8], ctx: &mut Ctx) -> Result<Vec<Block>, String> {
    let mut r = Reader::from_reader(xml);
    let mut blocks = Vec::new();
    parse_blocks(&mut r, ctx, &mut blocks, 0, None)?;
    Ok(blocks)
}

/// Skips the rest of the element just opened.
fn skip(r: &mut XmlReader<'_>) -> Result<(), String> {
    let mut depth = 0usize;
    loop {
        match r.read_event().map_err(|e| e.to_string())? {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                if depth == 0 {
                    return Ok(());
                }
                depth -= 1;
            }
            Event::Eof => return Err("途中で終わっています".into()),
            _ => {}
        }
    }
}

/// Elements whose content is never text of the document.
fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "sdtPr"
            | "sdtEndPr"
            | "sectPr"
            | "del"
            | "moveFrom"
            | "Fallback"
            | "rt"
            | "instrText"
            | "delText"
            | "tblPr"
            | "tblGrid"
            | "trPr"
            | "rPr"
            | "commentReference"
            | "pict"
            | "object"
    )
}

/// Reads block-level content until the end of the element opened by the caller (or EOF at
/// the top), pushing paragraphs and tables.
fn parse_blocks(
    r: &mut XmlReader<'_>,
    ctx: &mut Ctx,
    out: &mut Vec<Block>,
    depth: usize,
    _end: Option<&str>,
) -> Result<(), String> {
    let mut open = 0usize;
    loop {
        match r.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => {
                let name = local(&e);
                match name.as_str() {
                    "p" => parse_paragraph(r, ctx, out, depth)?,
                    "tbl" if depth < MAX_DEPTH => {
                        let rows = parse_table(r, ctx, depth + 1)?;
                        if rows.iter().any(|row| row.iter().any(|c| !c.is_empty())) {
                            out.push(Block::Table(rows));
                        }
                    }
                    n if is_skipped(n) || depth >= MAX_DEPTH && n == "tbl" => skip(r)?,
                    _ => open += 1,
                }
            }
            Event::End(_) => {
                if open == 0 {
                    return Ok(());
                }
                open -= 1;
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// Reads a w:p (already opened) to its end; pushes it (with its list label) and then the
/// blocks of any text box anchored in it.
fn parse_paragraph(
    r: &mut XmlReader<'_>,
    ctx: &mut Ctx,
    out: &mut Vec<Block>,
    depth: usize,
) -> Result<(), String> {
    let mut text = String::new();
    let mut extra = Vec::new();
    let (mut style, mut num_id, mut ilvl): (Option<String>, Option<String>, Option<u8>) =
        (None, None, None);
    let mut open = 0usize;
    let mut in_t = false;
    let mut in_ppr = false;
    loop {
        match r.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => {
                let name = local(&e);
                match name.as_str() {
                    "t" => {
                        in_t = true;
                        open += 1;
                    }
                    "pPr" => {
                        in_ppr = true;
                        open += 1;
                    }
                    "txbxContent" if depth < MAX_DEPTH => {
                        parse_blocks(r, ctx, &mut extra, depth + 1, Some("txbxContent"))?
                    }
                    "p" if depth < MAX_DEPTH => parse_paragraph(r, ctx, &mut extra, depth + 1)?,
                    "tbl" if depth < MAX_DEPTH => {
                        let rows = parse_table(r, ctx, depth + 1)?;
                        extra.push(Block::Table(rows));
                    }
                    n if is_skipped(n) || (in_ppr && n == "tabs") => skip(r)?,
                    "p" | "tbl" | "txbxContent" => skip(r)?,
                    _ => open += 1,
                }
            }
            Event::Empty(e) => {
                let name = local(&e);
                match name.as_str() {
                    "pStyle" if in_ppr => style = attr(&e, "val"),
                    "numId" if in_ppr => num_id = attr(&e, "val"),
                    "ilvl" if in_ppr => ilvl = attr(&e, "val").and_then(|v| v.parse().ok()),
                    "tab" if !in_ppr => text.push('\t'),
                    "br" | "cr" if !in_ppr => text.push('\n'),
                    "noBreakHyphen" if !in_ppr => text.push('-'),
                    _ => {}
                }
            }
            Event::Text(t) if in_t => text.push_str(&t.xml10_content()),
            Event::CData(t) if in_t => text.push_str(t.as_ref()),
            Event::GeneralRef(g) if in_t => {
                if let Ok(Some(c)) = g.resolve_char_ref() {
                    text.push(c);
                } else {
                    text.push_str(match g.xml10_content().as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Event::End(e) => {
                if open == 0 {
                    break;
                }
                open -= 1;
                match e.local_name().as_ref() {
                    "t" => in_t = false,
                    "pPr" => in_ppr = false,
                    _ => {}
                }
            }
            Event::Eof => return Err("段落の途中で終わっています".into()),
            _ => {}
        }
    }
    let (num_id, ilvl) = match (num_id, style.as_ref().and_then(|s| ctx.style_num.get(s))) {
        (Some(n), _) => (Some(n), ilvl.unwrap_or(0)),
        (None, Some((n, l))) => (Some(n.clone()), ilvl.unwrap_or(*l)),
        (None, None) => (None, 0),
    };
    let body = text.trim();
    if !body.is_empty() {
        let label = num_id
            .filter(|n| n != "0")
            .and_then(|n| ctx.label(&n, ilvl));
        let para = match label {
            Some(l) if l == "・" => format!("・{body}"),
            Some(l) => format!("{l} {body}"),
            None => body.to_string(),
        };
        out.push(Block::Paragraph(para));
    }
    out.extend(extra);
    Ok(())
}

#[derive(Default)]
struct Cell {
    text: String,
    span: usize,
    vmerge: Option<bool>, // Some(true) restart, Some(false) continue
}

/// Reads a w:tbl (already opened) to its end.
fn parse_table(
    r: &mut XmlReader<'_>,
    ctx: &mut Ctx,
    depth: usize,
) -> Result<Vec<Vec<String>>, String> {
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut open = 0usize;
    loop {
        match r.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => match local(&e).as_str() {
                "tr" => {
                    rows.push(Vec::new());
                    open += 1;
                }
                "tc" => {
                    let cell = parse_cell(r, ctx, depth)?;
                    if rows.is_empty() {
                        rows.push(Vec::new());
                    }
                    rows.last_mut().unwrap().push(cell);
                }
                n if is_skipped(n) => skip(r)?,
                _ => open += 1,
            },
            Event::End(_) => {
                if open == 0 {
                    break;
                }
                open -= 1;
            }
            Event::Eof => return Err("表の途中で終わっています".into()),
            _ => {}
        }
    }
    // Lay the cells on the grid.
    let mut restart: HashMap<usize, String> = HashMap::new();
    let mut grid = Vec::new();
    for row in rows {
        let mut out = Vec::new();
        for cell in row {
            let col = out.len();
            let text = match cell.vmerge {
                Some(true) => {
                    restart.insert(col, cell.text.clone());
                    cell.text
                }
                Some(false) => restart
                    .get(&col)
                    .filter(|t| t.chars().count() <= REPEAT_MAX_CHARS)
                    .cloned()
                    .unwrap_or_default(),
                None => {
                    restart.remove(&col);
                    cell.text
                }
            };
            out.push(text);
            for _ in 1..cell.span.max(1) {
                out.push(String::new());
            }
        }
        grid.push(out);
    }
    let width = grid.iter().map(Vec::len).max().unwrap_or(0);
    for row in &mut grid {
        row.resize(width, String::new());
    }
    Ok(grid)
}

/// Reads a w:tc (already opened): its paragraphs as lines, nested tables flattened.
fn parse_cell(r: &mut XmlReader<'_>, ctx: &mut Ctx, depth: usize) -> Result<Cell, String> {
    let mut cell = Cell {
        span: 1,
        ..Default::default()
    };
    let mut blocks = Vec::new();
    let mut open = 0usize;
    let mut in_tcpr = false;
    loop {
        match r.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => match local(&e).as_str() {
                "p" => parse_paragraph(r, ctx, &mut blocks, depth)?,
                "tbl" if depth < MAX_DEPTH => {
                    let rows = parse_table(r, ctx, depth + 1)?;
                    blocks.push(Block::Table(rows));
                }
                "tcPr" => {
                    in_tcpr = true;
                    open += 1;
                }
                "vMerge" if in_tcpr => {
                    cell.vmerge = Some(attr(&e, "val").as_deref() == Some("restart"));
                    open += 1;
                }
                n if is_skipped(n) || n == "tbl" => skip(r)?,
                _ => open += 1,
            },
            Event::Empty(e) if in_tcpr => match local(&e).as_str() {
                "gridSpan" => {
                    // Word allows 63 columns; a hostile value must not allocate billions
                    cell.span = attr(&e, "val")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(1)
                        .clamp(1, 64)
                }
                "vMerge" => cell.vmerge = Some(attr(&e, "val").as_deref() == Some("restart")),
                _ => {}
            },
            Event::End(e) => {
                if open == 0 {
                    break;
                }
                open -= 1;
                if e.local_name().as_ref() == "tcPr" {
                    in_tcpr = false;
                }
            }
            Event::Eof => return Err("表のセルの途中で終わっています".into()),
            _ => {}
        }
    }
    let lines: Vec<String> = blocks
        .into_iter()
        .map(|b| match b {
            Block::Paragraph(p) => p,
            Block::Table(rows) => rows
                .iter()
                .map(|r| {
                    r.iter()
                        .filter(|c| !c.is_empty())
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" | ")
                })
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n"),
        })
        .filter(|l| !l.is_empty())
        .collect();
    cell.text = lines.join("\n");
    Ok(cell)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_spans_and_starts_stay_bounded() {
        let doc = br#"<w:document xmlns:w="w"><w:body><w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val="4294967295"/></w:tcPr><w:p><w:r><w:t>a</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>b</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:body></w:document>"#;
        let mut ctx = Ctx {
            numbering: Numbering::default(),
            style_num: HashMap::new(),
            counters: HashMap::new(),
        };
        let blocks = parse_part(doc, &mut ctx).unwrap();
        let Block::Table(rows) = &blocks[0] else {
            panic!("{blocks:?}")
        };
        assert_eq!(rows[0].len(), 65);
        assert_eq!((rows[0][0].as_str(), rows[0][64].as_str()), ("a", "b"));

        let num = br#"<w:numbering xmlns:w="w"><w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:start w:val="-9223372036854775808"/><w:numFmt w:val="upperLetter"/><w:lvlText w:val="%1."/></w:lvl></w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="1"/></w:num></w:numbering>"#;
        let mut ctx = Ctx {
            numbering: parse_numbering(num).unwrap(),
            style_num: HashMap::new(),
            counters: HashMap::new(),
        };
        assert_eq!(ctx.label("1", 0).as_deref(), Some("0."));
        assert_eq!(ctx.label("1", 0).as_deref(), Some("A."));
    }
}
