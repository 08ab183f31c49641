//! Documents as people have them. Two sheets of the sample corpus's form A, transcribed
//! cell by cell (tests/fixtures/formats/corpus_sheets.json), rendered here as XLSX
//! (rust_xlsxwriter) and DOCX (docx-rs) and committed as PDFs of both font kinds
//! (scripts/fixtures/make_corpus_pdfs.py): each reads to the same regions and sections as
//! the corpus's .txt, with each goal beside its 取組状況. Figures from an Excel 基礎情報;
//! bad files refused with the file and a reason while nothing indexed changes; a filled
//! form A becomes the same draft as typing it; last year's submission as a starting point.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use nimo::domain::forms::Answer;
use nimo::domain::ports::FileReader;
use nimo::domain::search::corpus;
use nimo::domain::search::lexicon::Lexicon;
use nimo::formats::Reader;
use rust_xlsxwriter::{Format, Workbook};

use crate::helpers::{
    FORM_A, TestApp, clock_at, corpus as sample_corpus, person, plain_meeting, say, spawn_app,
};

pub use nimo_testkit::sheets::{corpus_sheets, fixtures, sheets_docx, sheets_xlsx};

/// (region, section) of every passage of a file, and the passages' texts.
fn read(path: &Path, lex: &Lexicon) -> (BTreeSet<(String, String)>, Vec<String>) {
    let bytes = std::fs::read(path).unwrap();
    let read = Reader::default()
        .read(&bytes)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let id = path.file_name().unwrap().to_string_lossy().to_string();
    let doc = corpus::parse_text(&id, &read.text, lex).unwrap();
    (
        doc.passages
            .iter()
            .map(|p| (p.region.name.clone(), p.section.clone()))
            .collect(),
        doc.passages.iter().map(|p| p.text.clone()).collect(),
    )
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn the_corpus_sheets_read_alike_in_every_format() {
    let lex = Lexicon::embedded();
    let sheets = corpus_sheets();
    let regions: Vec<&str> = sheets.sheets.iter().map(|s| s.region.as_str()).collect();
    // What the .txt of the corpus gives for these two regions.
    let (txt, _) = read(&sample_corpus().join("001_2adf2e42dc73fb39.txt"), &lex);
    let expected: BTreeSet<(String, String)> = txt
        .into_iter()
        .filter(|(r, _)| regions.contains(&r.as_str()))
        .collect();
    let found: BTreeSet<&str> = expected.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(found.len(), 2, "both regions are in the .txt: {expected:?}");

    let tmp = tempfile::tempdir().unwrap();
    let xlsx = tmp.path().join("corpus_sheets.xlsx");
    let docx = tmp.path().join("corpus_sheets.docx");
    sheets_xlsx(&sheets, &xlsx);
    sheets_docx(&sheets, &docx);
    for path in [
        xlsx.clone(),
        docx.clone(),
        fixtures().join("corpus_sheets_kind1.pdf"),
        fixtures().join("corpus_sheets_kind2.pdf"),
    ] {
        let (got, texts) = read(&path, &lex);
        assert_eq!(
            got,
            expected,
            "{}: the same regions and sections as the .txt",
            path.display()
        );
        let office = path.extension().is_some_and(|e| e != "pdf");
        let all = squeeze(&texts.concat());
        for sheet in &sheets.sheets {
            for (goal, status) in &sheet.pairs {
                let (goal, status) = (squeeze(goal), squeeze(status));
                if office {
                    // A table row stays a row: each goal with its 取組状況 in one passage.
                    assert!(
                        texts.iter().any(|t| {
                            let t = squeeze(t);
                            t.contains(&goal) && t.contains(&status)
                        }),
                        "{}: 「{goal}」 and its 取組状況 in one passage: {texts:#?}",
                        path.display()
                    );
                } else {
                    // A PDF reads in order: the goal whole, then its 取組状況 whole.
                    let g = all.find(&goal);
                    let s = all.find(&status);
                    assert!(
                        g.is_some() && s.is_some() && g < s,
                        "{}: 「{goal}」 then its 取組状況, each whole: {all}",
                        path.display()
                    );
                }
            }
        }
    }
}

/// A 基礎情報 sheet as the Excel 様式 has it (世田谷区's figures from the corpus's
/// 000 file): label | value | unit, 時点 in the label, blanks where the sheet is blank.
fn kihon_xlsx(path: &Path) {
    let mut wb = Workbook::new();
    let thousands = Format::new().set_num_format("#,##0");
    let ws = wb.add_worksheet().set_name("基礎情報").unwrap();
    ws.write_string(0, 0, "「参加自治体状況共有」シート")
        .unwrap();
    ws.write_string(1, 0, "東京都世田谷区").unwrap();
    ws.write_string(2, 0, "１ 県又は政令市の基礎情報").unwrap();
    let rows: [(&str, Option<f64>, &str); 5] = [
        ("障害保健福祉圏域数（R３年４月時点）", Some(1.0), "か所"),
        ("市町村数（R３年４月時点）", Some(1.0), "市町村"),
        ("人口（R３年４月時点）", Some(920_471.0), "人"),
        ("精神科病院の数（R●年●月時点）", None, "病院"),
        ("精神科病床数（R●年●月時点）", None, "床"),
    ];
    for (i, (label, value, unit)) in rows.iter().enumerate() {
        let r = 3 + i as u32;
        ws.write_string(r, 0, *label).unwrap();
        if let Some(v) = value {
            ws.write_number_with_format(r, 1, *v, &thousands).unwrap();
        }
        ws.write_string(r, 2, *unit).unwrap();
    }
    ws.write_string(8, 0, "入院精神障害者数 合計").unwrap();
    ws.write_number(8, 1, 568.0).unwrap();
    ws.write_string(8, 2, "人").unwrap();
    wb.save(path).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn excel_basic_figures_become_the_figure_table() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("世田谷区_基礎情報.xlsx");
    kihon_xlsx(&path);
    let _ = std::fs::copy(&path, "/tmp/kihon.xlsx");
    let nimo = spawn_app(clock_at("2021-11-20 10:00")).await;
    let report = nimo
        .app
        .library
        .ingest(&[path], false, &mut |_| {})
        .await
        .unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.ingested[0].format, "Excel");
    let figures = nimo.app.library.figures();
    let get = |id: &str| {
        figures
            .iter()
            .find(|r| r.region.name.contains("世田谷区") && r.figure.id == id)
            .map(|r| r.figure.clone())
    };
    let population = get("population").unwrap_or_else(|| panic!("人口: {figures:?}"));
    assert_eq!(population.value, Some(920_471.0));
    assert!(population.as_of.is_some(), "its 時点 is kept");
    assert_eq!(get("inpatients").and_then(|f| f.value), Some(568.0));
    assert_eq!(get("beds").map(|f| f.text), Some("記載なし".to_string()));
    // Asked in words, answered from the figure.
    let answer = nimo
        .app
        .library
        .ask(&nimo::domain::search::query::Ask {
            question: "世田谷区の人口は？".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let table = answer.figures.expect("a figure answer");
    assert!(
        table.rows.iter().any(|r| r.figure.text.contains("920,471")),
        "{table:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_files_are_refused_with_reasons_and_nothing_indexed_changes() {
    let nimo = spawn_app(clock_at("2021-11-20 10:00")).await;
    let lib = &nimo.app.library;
    lib.ingest(&[sample_corpus()], false, &mut |_| {})
        .await
        .unwrap();
    let before = lib.passage_count().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let huge = tmp.path().join("huge.pdf");
    {
        // A 200 MB file, sparse on disk: refused by its size before it is read.
        let f = std::fs::File::create(&huge).unwrap();
        f.set_len(200 * 1024 * 1024).unwrap();
    }
    let cases: Vec<(PathBuf, &str)> = vec![
        (fixtures().join("scan.pdf"), "文字"),
        (fixtures().join("truncated.pdf"), "切れ"),
        (fixtures().join("encrypted_userpw.pdf"), "パスワード"),
        (fixtures().join("garbage.pdf"), "PDF"),
        (
            fixtures().join("truncated.xlsx"),
            "壊れているか途中で切れています",
        ),
        (fixtures().join("password.xlsx"), "パスワード"),
        (
            fixtures().join("bomb_disguised.xlsx"),
            "圧縮を展開すると大きくなりすぎる",
        ),
        // Lying about its sizes, it stops at the size it declared: a damaged file.
        (fixtures().join("bomb_lying_sizes.xlsx"), "壊れている"),
        (fixtures().join("old_format.xls"), ".xls"),
        (
            fixtures().join("binary.bin"),
            "文字のファイルとして読めません",
        ),
        (fixtures().join("empty.txt"), "空"),
        (huge.clone(), "大きすぎ"),
    ];
    let paths: Vec<PathBuf> = cases.iter().map(|(p, _)| p.clone()).collect();
    let report = lib.ingest(&paths, false, &mut |_| {}).await.unwrap();
    assert!(report.ingested.is_empty(), "{:?}", report.ingested);
    assert_eq!(report.failed.len(), cases.len(), "{:?}", report.failed);
    for (path, word) in &cases {
        let (_, reason) = report
            .failed
            .iter()
            .find(|(p, _)| p == path)
            .unwrap_or_else(|| panic!("{} is reported", path.display()));
        assert!(
            reason
                .chars()
                .any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)),
            "{}: a Japanese reason, got 「{reason}」",
            path.display()
        );
        assert!(
            reason.contains(word),
            "{}: 「{reason}」 says 「{word}」",
            path.display()
        );
    }
    assert_eq!(
        lib.passage_count().unwrap(),
        before,
        "nothing indexed changed"
    );
}

/// What staff typed for form A, as the conversation stores it.
const TYPED: [&str; 10] = [
    "病院管理部門関係者等の地域移行に関する理解が促進される｜精神保健福祉審議会等において、区の取組を説明した",
    "ピアサポーターを養成する｜ピアサポーター養成講座を実施した",
    "次へ",
    "・広域アドバイザーによる研修（オンライン）を開催した。\n・密着アドバイザーが助言を行った。",
    "次へ",
    "・新型コロナの影響で多くの取組が中止となった。",
    "次へ",
    "・オンラインによる事業の実施等に積極的に取り組む。",
    "次へ",
    "プレビュー",
];

/// The same answers written into the Excel 様式.
pub fn filled_form_a(path: &Path, region: &str) {
    let mut wb = Workbook::new();
    let wrap = Format::new().set_text_wrap();
    let plain = Format::new();
    let ws = wb.add_worksheet().set_name("事前課題").unwrap();
    ws.merge_range(
        0,
        0,
        0,
        1,
        "令和３年度 精神障害にも対応した地域包括ケアシステム構築支援事業 AD合同会議「事前課題」",
        &plain,
    )
    .unwrap();
    ws.merge_range(1, 0, 1, 1, region, &plain).unwrap();
    ws.write_string(3, 0, "１．令和３年度の達成目標・取組状況")
        .unwrap();
    ws.write_string(4, 0, "令和３年度の達成目標").unwrap();
    ws.write_string(4, 1, "取組状況").unwrap();
    ws.write_string_with_format(
        5,
        0,
        "病院管理部門関係者等の地域移行に関する理解が促進される",
        &wrap,
    )
    .unwrap();
    ws.write_string_with_format(
        5,
        1,
        "精神保健福祉審議会等において、\n区の取組を説明した",
        &wrap,
    )
    .unwrap();
    ws.write_string(6, 0, "ピアサポーターを養成する").unwrap();
    ws.write_string(6, 1, "ピアサポーター養成講座を実施した")
        .unwrap();
    let sections: [(&str, &[&str]); 3] = [
        (
            "２．支援事業の成果",
            &[
                "・広域アドバイザーによる研修（オンライン）を開催した。",
                "・密着アドバイザーが助言を行った。",
            ],
        ),
        (
            "３．次年度に向けた課題等",
            &["・新型コロナの影響で多くの取組が中止となった。"],
        ),
        (
            "４．課題の解決に向けた　令和４年度の取組方針",
            &["・オンラインによる事業の実施等に積極的に取り組む。"],
        ),
    ];
    let mut r = 8;
    for (heading, items) in sections {
        ws.write_string(r, 0, heading).unwrap();
        r += 1;
        for item in items {
            ws.write_string(r, 0, *item).unwrap();
            r += 1;
        }
        r += 1;
    }
    // A note outside the form, as people leave them.
    ws.write_string(r + 2, 1, "担当：障害福祉課").unwrap();
    wb.save(path).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filled_form_a_becomes_the_same_draft_as_typing_it() {
    use nimo::app::assignments::Source;
    use nimo::domain::people::Role;
    let nimo = spawn_app(clock_at("2021-11-20 10:00")).await;
    let app = &nimo.app;
    let a = &app.assignments;
    plain_meeting(
        app,
        "令和３年度 第２回 AD合同会議",
        FORM_A,
        "2021-12-10 17:00",
    )
    .await;
    for (who, region) in [
        ("local:山田", "東京都世田谷区"),
        ("local:佐藤", "東京都葛飾区"),
    ] {
        a.grant(&person(who), who, Role::Staff, Some(region), None)
            .await
            .unwrap();
        a.begin(&person(who), who, None, None).await.unwrap();
    }
    // 山田 types the answers.
    for line in TYPED {
        say(app, "local:山田", line).await;
    }
    // 佐藤 hands over the filled sheet: shown, not saved until 「はい」.
    let tmp = tempfile::tempdir().unwrap();
    let sheet = tmp.path().join("事前課題_葛飾区.xlsx");
    filled_form_a(&sheet, "東京都葛飾区");
    let bytes = std::fs::read(&sheet).unwrap();
    let reply = a
        .hand_over(
            &person("local:佐藤"),
            "事前課題_葛飾区.xlsx",
            bytes,
            Source::Typed,
        )
        .await
        .unwrap();
    let shown: String = reply.messages.iter().map(|m| m.text.clone()).collect();
    assert!(shown.contains("4問の回答を読み取りました"), "{shown}");
    assert!(shown.contains("2行"), "{shown}");
    assert!(
        shown.contains("担当：障害福祉課"),
        "the note is shown as unplaced: {shown}"
    );
    assert!(shown.contains("「はい」"), "{shown}");
    let draft = |who: &'static str| async move { a.draft(&person(who)).await.unwrap().unwrap() };
    assert!(
        draft("local:佐藤").await.is_empty(),
        "nothing saved before はい"
    );
    let said = say(app, "local:佐藤", "はい").await;
    assert!(said.contains("取り込みました"), "{said}");
    assert!(said.contains("すべての質問が終わりました"), "{said}");
    let typed = draft("local:山田").await;
    let imported = draft("local:佐藤").await;
    assert_eq!(imported, typed, "the same draft as typing it");
    assert!(matches!(imported.get("goals"), Some(Answer::Table { rows }) if rows.len() == 2));
    // Preview and submit as usual; the submission is searchable.
    let preview = say(app, "local:佐藤", "プレビュー").await;
    assert!(
        preview.contains("ピアサポーター養成講座を実施した"),
        "{preview}"
    );
    let submitted = say(app, "local:佐藤", "提出").await;
    assert!(submitted.contains("提出しました"), "{submitted}");

    // A sheet with a bad answer: the rest is offered, the bad one explained; 「いいえ」
    // keeps what is there.
    let bad = "１．令和３年度の達成目標・取組状況\n目標だけ | 状況 | 余分 | 列\n２．支援事業の成果\n・成果\n";
    a.begin(&person("local:山田"), "local:山田", None, None)
        .await
        .unwrap();
    let reply = a
        .hand_over(
            &person("local:山田"),
            "メモ.txt",
            bad.as_bytes().to_vec(),
            Source::Typed,
        )
        .await
        .unwrap();
    let shown: String = reply.messages.iter().map(|m| m.text.clone()).collect();
    assert!(shown.contains("今の回答を置き換えます"), "{shown}");
    let said = say(app, "local:山田", "いいえ").await;
    assert!(said.contains("取り込みませんでした"), "{said}");
    assert_eq!(draft("local:山田").await, typed);

    // A file that is not a sheet at all, and a scan: clear messages, the draft untouched.
    let scan = std::fs::read(fixtures().join("scan.pdf")).unwrap();
    let e = a
        .hand_over(&person("local:山田"), "scan.pdf", scan, Source::Typed)
        .await
        .unwrap_err();
    assert!(crate::helpers::refused(e).contains("scan.pdf"));
    // Another region's workbook, and a PDF: refused, saying why.
    let other = tmp.path().join("二圏域.xlsx");
    sheets_xlsx(&corpus_sheets(), &other);
    let e = a
        .hand_over(
            &person("local:山田"),
            "二圏域.xlsx",
            std::fs::read(&other).unwrap(),
            Source::Typed,
        )
        .await
        .unwrap_err();
    let why = crate::helpers::refused(e);
    assert!(
        why.contains("津軽圏域") && why.contains("様式のようです"),
        "{why}"
    );
    let pdf = std::fs::read(fixtures().join("corpus_sheets_kind1.pdf")).unwrap();
    let e = a
        .hand_over(&person("local:山田"), "様式.pdf", pdf, Source::Typed)
        .await
        .unwrap_err();
    assert!(crate::helpers::refused(e).contains("Excel（.xlsx）かWord（.docx）"));
    let image = std::fs::read(fixtures().join("image.png")).unwrap();
    let e = a
        .hand_over(&person("local:山田"), "photo.png", image, Source::Typed)
        .await
        .unwrap_err();
    assert!(crate::helpers::refused(e).contains("photo.png"));
    assert_eq!(draft("local:山田").await, typed);
}

/// 山田 (世田谷区) fills in and submits form A for 令和２年度's meeting; a year later
/// 令和３年度's meeting opens. Returns what nimo said when last year's form opened.
async fn submitted_last_year(nimo: &TestApp) -> String {
    use nimo::app::meetings::{MeetingEdit, MeetingPlan};
    use nimo::domain::clock::parse_jst;
    use nimo::domain::people::Role;
    let (app, who) = (&nimo.app, "local:山田");
    app.assignments
        .grant(&person(who), who, Role::Staff, Some("東京都世田谷区"), None)
        .await
        .unwrap();
    let meeting = |name: &str, fy: i32, deadline: &str| MeetingPlan {
        name: name.into(),
        form: FORM_A.into(),
        deadline: parse_jst(deadline).unwrap(),
        fiscal_year: Some(fy),
        meeting_date: None,
    };
    let create = |plan| app.meetings.create(None, plan, MeetingEdit::default());
    create(meeting("令和２年度 AD合同会議", 2020, "2020-12-10 17:00"))
        .await
        .unwrap();
    let first = app
        .assignments
        .begin(&person(who), who, None, None)
        .await
        .unwrap();
    for line in TYPED {
        say(app, who, line).await;
    }
    assert!(say(app, who, "提出").await.contains("提出しました"));
    nimo.clock.set(parse_jst("2021-11-20 10:00").unwrap());
    create(meeting("令和３年度 AD合同会議", 2021, "2021-12-10 17:00"))
        .await
        .unwrap();
    first.messages.iter().map(|m| m.text.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_from_last_years_submission() {
    let nimo = spawn_app(clock_at("2020-11-20 10:00")).await;
    let (app, who) = (&nimo.app, "local:山田");
    // Nothing to offer the first time.
    let first = submitted_last_year(&nimo).await;
    assert!(!first.contains("引き継"), "{first}");

    // This year: offered, accepted, marked until touched.
    let begun = app
        .assignments
        .begin(&person(who), who, None, None)
        .await
        .unwrap();
    let begun: String = begun.messages.iter().map(|m| m.text.clone()).collect();
    assert!(begun.contains("令和２年度 AD合同会議"), "{begun}");
    assert!(begun.contains("引き継ぎますか"), "{begun}");
    let said = say(app, who, "はい").await;
    assert!(said.contains("4問を引き継ぎました"), "{said}");
    let preview = say(app, who, "プレビュー").await;
    assert!(preview.contains("前回から引き継いだまま"), "{preview}");
    assert!(preview.contains("1. "), "{preview}");
    // Touching question 1 clears its mark, not the others'.
    let edit = say(app, who, "修正 1").await;
    assert!(edit.contains("前回の提出から引き継いだもの"), "{edit}");
    say(app, who, "地域移行を進める｜退院支援を３件行った").await;
    say(app, who, "次へ").await;
    let review = say(app, who, "回答を確認").await;
    let line = |n: &str| {
        review
            .lines()
            .find(|l| l.starts_with(n))
            .unwrap_or_default()
            .to_string()
    };
    assert!(!line("1. ").contains("引き継ぎ"), "{review}");
    assert!(line("2. ").contains("前回から引き継ぎ"), "{review}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_years_goals_are_shown_beside_this_years_question() {
    let nimo = spawn_app(clock_at("2020-11-20 10:00")).await;
    let (app, who) = (&nimo.app, "local:山田");
    submitted_last_year(&nimo).await;
    app.assignments
        .begin(&person(who), who, None, None)
        .await
        .unwrap();
    // Declined: a blank form, but last year's goals beside the question about this year's.
    let said = say(app, who, "いいえ").await;
    assert!(
        said.contains("参考・前回（令和２年度 AD合同会議）の回答"),
        "{said}"
    );
    assert!(said.contains("ピアサポーターを養成する"), "{said}");
}

#[test]
fn scanned_and_office_pdfs_and_plain_text_report_their_kind() {
    let r = Reader::default();
    let e = r
        .read(&std::fs::read(fixtures().join("scan.pdf")).unwrap())
        .unwrap_err();
    assert_eq!(e.code, "no_text_layer");
    assert!(e.reason.contains("文字"), "{}", e.reason);
    let sjis = r
        .read(&std::fs::read(fixtures().join("sjis.csv")).unwrap())
        .unwrap();
    assert_eq!(sjis.format, "テキスト");
    assert!(sjis.warnings.iter().any(|w| w.contains("Shift_JIS")));
    let vertical = r
        .read(&std::fs::read(fixtures().join("kind2_vertical.pdf")).unwrap())
        .unwrap();
    assert!(
        vertical.text.contains("協議の場は年４回"),
        "vertical text not shredded: {}",
        vertical.text
    );
}
