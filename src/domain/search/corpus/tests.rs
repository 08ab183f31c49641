use super::*;
use crate::domain::search::lexicon::Lexicon;
use crate::domain::search::passage::{FORM_JICHITAI_SHEET, FORM_JIZEN_KADAI};

fn corpus(name: &str) -> String {
    let path = format!("{}/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The regions of the sheets of 001, in file order: one sheet per region, its region line
/// sometimes above it, sometimes below it as a page footer, and twice absent.
const SHEETS_001: [(&str, &str, RegionKind, RegionSource); 27] = [
    (
        "青森県/津軽圏域",
        "青森県",
        RegionKind::Area,
        RegionSource::Banner,
    ),
    (
        "茨城県",
        "茨城県",
        RegionKind::Prefecture,
        RegionSource::Banner,
    ),
    (
        "栃木県/県南圏域",
        "栃木県",
        RegionKind::Area,
        RegionSource::Banner,
    ),
    (
        "群馬県/太田圏域",
        "群馬県",
        RegionKind::Area,
        RegionSource::Banner,
    ),
    (
        "富山県/富山圏域",
        "富山県",
        RegionKind::Area,
        RegionSource::Banner,
    ),
    (
        "鳥取県/西部圏域",
        "鳥取県",
        RegionKind::Area,
        RegionSource::Banner,
    ),
    (
        "広島県",
        "広島県",
        RegionKind::Prefecture,
        RegionSource::Banner,
    ),
    (
        "香川県/高松圏域",
        "香川県",
        RegionKind::Area,
        RegionSource::Banner,
    ),
    (
        "香川県/小豆圏域",
        "香川県",
        RegionKind::Area,
        RegionSource::Banner,
    ),
    (
        "香川県/東讃圏域",
        "香川県",
        RegionKind::Area,
        RegionSource::Banner,
    ),
    (
        "千葉県/千葉市",
        "千葉県",
        RegionKind::City,
        RegionSource::Banner,
    ),
    (
        "神奈川県/川崎市/北部・中部圏域",
        "神奈川県",
        RegionKind::Area,
        RegionSource::Banner,
    ),
    (
        "神奈川県/相模原市/相模原圏域",
        "神奈川県",
        RegionKind::Area,
        RegionSource::Banner,
    ),
    (
        "静岡県/西部圏域",
        "静岡県",
        RegionKind::Area,
        RegionSource::Banner,
    ),
    (
        "愛知県/名古屋市",
        "愛知県",
        RegionKind::City,
        RegionSource::Banner,
    ),
    (
        "愛知県/名古屋市/東ブロック",
        "愛知県",
        RegionKind::Block,
        RegionSource::Banner,
    ),
    (
        "愛知県/名古屋市/西ブロック",
        "愛知県",
        RegionKind::Block,
        RegionSource::Banner,
    ),
    (
        "愛知県/名古屋市/南ブロック",
        "愛知県",
        RegionKind::Block,
        RegionSource::Banner,
    ),
    (
        "愛知県/名古屋市/北ブロック",
        "愛知県",
        RegionKind::Block,
        RegionSource::Banner,
    ),
    (
        "熊本県/熊本市",
        "熊本県",
        RegionKind::City,
        RegionSource::Content,
    ),
    (
        "東京都/世田谷区",
        "東京都",
        RegionKind::Ward,
        RegionSource::Content,
    ),
    (
        "東京都/葛飾区",
        "東京都",
        RegionKind::Ward,
        RegionSource::Banner,
    ),
    (
        "東京都/江戸川区",
        "東京都",
        RegionKind::Ward,
        RegionSource::Banner,
    ),
    (
        "石川県/南加賀圏域",
        "石川県",
        RegionKind::Area,
        RegionSource::Banner,
    ),
    (
        "石川県/石川中央圏域",
        "石川県",
        RegionKind::Area,
        RegionSource::Banner,
    ),
    (
        "石川県/能登中部圏域",
        "石川県",
        RegionKind::Area,
        RegionSource::Banner,
    ),
    (
        "東京都/台東区",
        "東京都",
        RegionKind::Ward,
        RegionSource::Banner,
    ),
];

fn sheet_regions(doc: &Document) -> Vec<(String, Option<String>, RegionKind, RegionSource)> {
    let mut out: Vec<(String, Option<String>, RegionKind, RegionSource)> = Vec::new();
    for p in &doc.passages {
        let item = (
            p.region.key(),
            p.region.prefecture.clone(),
            p.region.kind,
            p.region_source,
        );
        if out.last() != Some(&item) {
            out.push(item);
        }
    }
    out
}

#[test]
fn every_sheet_of_001_gets_its_region() {
    let lex = Lexicon::embedded();
    let doc = parse_text(
        "001_2adf2e42dc73fb39.txt",
        &corpus("001_2adf2e42dc73fb39.txt"),
        &lex,
    )
    .unwrap();
    assert_eq!(doc.form, FORM_JIZEN_KADAI);
    assert_eq!(doc.fiscal_year, Some(2020));
    assert_eq!(doc.sheets, 27);
    let got = sheet_regions(&doc);
    let want: Vec<(String, Option<String>, RegionKind, RegionSource)> = SHEETS_001
        .iter()
        .map(|(k, p, kind, src)| (k.to_string(), Some(p.to_string()), *kind, *src))
        .collect();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "sheet {}", i + 1);
    }
    assert_eq!(got.len(), want.len());
    // The two sheets without a region line are reported for a person to check.
    assert_eq!(doc.warnings.len(), 2, "{:?}", doc.warnings);
}

#[test]
fn sheets_of_001_have_their_four_sections_in_order() {
    let lex = Lexicon::embedded();
    let doc = parse_text("001", &corpus("001_2adf2e42dc73fb39.txt"), &lex).unwrap();
    let mut by_region: Vec<(String, Vec<String>)> = Vec::new();
    for p in &doc.passages {
        if by_region.last().map(|(k, _)| k) != Some(&p.region.key()) {
            by_region.push((p.region.key(), Vec::new()));
        }
        let sections = &mut by_region.last_mut().unwrap().1;
        if sections.last() != Some(&p.section) {
            sections.push(p.section.clone());
        }
    }
    for (region, sections) in &by_region {
        assert_eq!(
            sections,
            &[
                "達成目標・取組状況",
                "支援事業の成果",
                "次年度に向けた課題等",
                "課題の解決に向けた取組方針"
            ],
            "{region}"
        );
    }
}

#[test]
fn titles_and_furniture_never_become_text() {
    let lex = Lexicon::embedded();
    for name in [
        "000_00b0358f0bbd016e.txt",
        "001_2adf2e42dc73fb39.txt",
        "004_b3d3177b1f3b7ec9.txt",
    ] {
        let doc = parse_text(name, &corpus(name), &lex).unwrap();
        for p in &doc.passages {
            assert!(
                !p.text.contains("AD合同会議「事前課題」"),
                "{name}: {}",
                p.text
            );
            assert!(
                !p.text.contains("AD 合同会議「事前課題」"),
                "{name}: {}",
                p.text
            );
            assert!(
                p.text.chars().count() <= chunk::TARGET_CHARS * 2,
                "{name}: passage too long"
            );
            assert!(!p.text.trim().is_empty());
        }
    }
}

#[test]
fn single_region_documents() {
    let lex = Lexicon::embedded();
    let cases = [
        (
            "000_00b0358f0bbd016e.txt",
            "東京都/世田谷区",
            FORM_JICHITAI_SHEET,
            Some(2021),
        ),
        (
            "002_a4a7ad4a8d65174e.txt",
            "東京都/文京区",
            FORM_MATERIAL,
            Some(2023),
        ),
        (
            "004_b3d3177b1f3b7ec9.txt",
            "埼玉県/さいたま市",
            FORM_JICHITAI_SHEET,
            Some(2019),
        ),
    ];
    for (name, key, form, year) in cases {
        let doc = parse_text(name, &corpus(name), &lex).unwrap();
        assert_eq!(doc.form, form, "{name}");
        assert_eq!(doc.fiscal_year, year, "{name}");
        assert_eq!(doc.sheets, 1, "{name}");
        for p in &doc.passages {
            assert_eq!(p.region.key(), key, "{name}: {}", p.text);
        }
    }
}

#[test]
fn form_b_sections_are_found_even_when_printed_below_their_table() {
    let lex = Lexicon::embedded();
    let doc = parse_text("000", &corpus("000_00b0358f0bbd016e.txt"), &lex).unwrap();
    let sections: Vec<&str> = {
        let mut v: Vec<&str> = Vec::new();
        for p in &doc.passages {
            if v.last() != Some(&p.section.as_str()) {
                v.push(&p.section);
            }
        }
        v
    };
    for s in [
        "基礎情報",
        "取組概要（全体）",
        "取組の経緯",
        "取組の成果・効果",
        "強みと課題",
        "今年度の取組スケジュール",
    ] {
        assert!(sections.contains(&s), "missing {s} in {sections:?}");
    }
    let schedule: String = doc
        .passages
        .iter()
        .filter(|p| p.section == "今年度の取組スケジュール")
        .map(|p| p.text.as_str())
        .collect();
    assert!(schedule.contains("ピアサポート活動"), "{schedule}");
    let history: String = parse_text("004", &corpus("004_b3d3177b1f3b7ec9.txt"), &lex)
        .unwrap()
        .passages
        .iter()
        .filter(|p| p.section == "取組の経緯")
        .map(|p| p.text.clone())
        .collect();
    assert!(history.contains("平成２４年度"), "{history}");
}

#[test]
fn timeline_rows_carry_their_own_year() {
    let lex = Lexicon::embedded();
    let doc = parse_text("002", &corpus("002_a4a7ad4a8d65174e.txt"), &lex).unwrap();
    let years: Vec<i32> = doc.passages.iter().filter_map(|p| p.fiscal_year).collect();
    assert!(years.contains(&2022), "{years:?}");
    assert!(years.contains(&2023), "{years:?}");
}

/// A form A file this parser has never seen: other regions, CRLF and a BOM, a form feed
/// between pages, region lines above one sheet and below the next, and a sheet with none.
#[test]
fn generalizes_to_unseen_form_a_files() {
    let lex = Lexicon::embedded();
    let sheet = |body: &str| {
        format!(
            "１．令和３年度の達成目標・取組状況\n\n令和３年度の達成目標 取組状況\n\n{body}を進める\n\n２．支援事業の成果\n\n・研修を実施した。\n\n３．次年度に向けた課題等\n\n・継続が必要。\n\n４．課題の解決に向けた 令和４年度の取組方針\n\n・継続する。\n"
        )
    };
    let text = format!(
        "\u{feff} 令和３年度 精神障害にも対応した地域包括ケアシステム構築支援事業 AD合同会議「事前課題」\r\n\r\n北海道・南空知圏域\r\n\r\n{}\u{000C}{}\n令和３年度 AD合同会議「事前課題」\n\n大阪府・堺市\n\u{000C}{}",
        sheet("ピアサポーターの養成").replace('\n', "\r\n"),
        sheet("住まいの確保"),
        sheet("本市（岡山市）の地域移行と岡山市の協議の場"),
    );
    let doc = parse_text("new.txt", &text, &lex).unwrap();
    assert_eq!(doc.fiscal_year, Some(2021));
    let got: Vec<(String, RegionSource)> = sheet_regions(&doc)
        .into_iter()
        .map(|(k, _, _, s)| (k, s))
        .collect();
    assert_eq!(
        got,
        vec![
            ("北海道/南空知圏域".to_string(), RegionSource::Banner),
            ("大阪府/堺市".to_string(), RegionSource::Banner),
            ("岡山県/岡山市".to_string(), RegionSource::Content),
        ]
    );
}

#[test]
fn broken_files_are_refused_with_a_reason() {
    let lex = Lexicon::embedded();
    assert_eq!(
        parse_bytes("a", b"\xff\xfe\x00a", &lex).unwrap_err(),
        ParseError::Binary
    );
    assert!(matches!(
        parse_bytes("a", b"abc\xff", &lex).unwrap_err(),
        ParseError::NotUtf8(3)
    ));
    assert_eq!(
        parse_bytes("a", b"\n\n \n", &lex).unwrap_err(),
        ParseError::Empty
    );
    assert_eq!(
        parse_bytes("a", "\u{feff}".as_bytes(), &lex).unwrap_err(),
        ParseError::Empty
    );
}
