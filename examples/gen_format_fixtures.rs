//! Writes the XLSX and DOCX fixtures of src/formats tests (and, with `bench`, the large
//! XLSX used for measurements).
//!
//!     cargo run --example gen_fixtures -- fixtures          # the committed fixtures
//!     cargo run --example gen_fixtures -- bench/ bench 5000 # a 5,000-row sheet
//!
//! The text is the same as scripts/content.py (form A 事前課題, form B 基礎情報).

use std::path::Path;

use docx_rs::{
    AbstractNumbering, BreakType, Docx, Footer, Header, IndentLevel, Level, LevelJc, LevelText,
    NumberFormat, Numbering, NumberingId, Paragraph, Run, Start, Table, TableCell, TableRow,
    VMergeType,
};
use rust_xlsxwriter::{
    DataValidation, ExcelDateTime, Format, FormatAlign, FormatBorder, Formula, Workbook, Worksheet,
};

const TITLE_A: &str =
    "令和２年度 精神障害にも対応した地域包括ケアシステム構築支援事業 AD合同会議「事前課題」";
const REGION: &str = "東京都世田谷区";
const SEC1: &str = "１．令和２年度の達成目標・取組状況";
const HEAD: [&str; 2] = ["令和２年度の達成目標", "取組状況"];
const ROWS: [(&str, &str); 3] = [
    (
        "病院管理部門関係者等の地域移行に関する理解が促進される",
        "精神保健福祉審議会等において、区の取組を説明した",
    ),
    (
        "ピアサポーターを養成し、長期入院者の支援等のピアサポート活動ができる",
        "ピアサポーター養成講座を実施した。\nまたオンラインによるピアとの交流会を開催した",
    ),
    (
        "協議の場を年４回開催し、住まいの確保～居住支援について検討する",
        "協議の場を３回開催した（前年比－１回）",
    ),
];
const SECTIONS: [(&str, [&str; 2]); 3] = [
    (
        "２．支援事業の成果",
        [
            "広域アドバイザーによる研修（オンライン）を開催した。",
            "密着アドバイザーが、地域移行に係る関係機関等への周知や助言を行った。",
        ],
    ),
    (
        "３．次年度に向けた課題等",
        [
            "新型コロナの影響で多くの取組が中止となった。",
            "８０５０問題など高齢分野との連携が必要である。",
        ],
    ),
    (
        "４．課題の解決に向けた\u{3000}令和３年度の取組方針",
        [
            "オンラインによる事業の実施等に積極的に取り組む。",
            "アウトリーチ（多職種チームによる訪問支援）を拡充する。",
        ],
    ),
];

type BoxErr = Box<dyn std::error::Error>;

fn main() -> Result<(), BoxErr> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = Path::new(args.first().map(String::as_str).unwrap_or("fixtures"));
    std::fs::create_dir_all(out)?;
    if args.get(1).map(String::as_str) == Some("bench") {
        let rows: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5000);
        bench_xlsx(&out.join(format!("bench_{rows}rows.xlsx")), rows)?;
        bench_docx(&out.join(format!("bench_{rows}paras.docx")), rows)?;
        return Ok(());
    }
    forma_xlsx(&out.join("forma.xlsx"))?;
    kihon_xlsx(&out.join("kihon.xlsx"))?;
    forma_docx(&out.join("forma.docx"))?;
    Ok(())
}

/// Form A: title and region merged across A:B, the 達成目標 | 取組状況 table with wrapped
/// multi-line cells, bullets merged across A:B. A second region sheet checks sheet order.
fn forma_xlsx(path: &Path) -> Result<(), BoxErr> {
    let mut wb = Workbook::new();
    let wrap = Format::new().set_text_wrap().set_border(FormatBorder::Thin);
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    let plain = Format::new();
    {
        let ws = wb.add_worksheet().set_name("世田谷区")?;
        ws.set_column_width(0, 40)?;
        ws.set_column_width(1, 40)?;
        ws.merge_range(0, 0, 0, 1, TITLE_A, &plain)?;
        ws.merge_range(1, 0, 1, 1, REGION, &plain)?;
        ws.merge_range(3, 0, 3, 1, SEC1, &plain)?; // row 3 (index 2) stays empty
        ws.write_string_with_format(4, 0, HEAD[0], &head)?;
        ws.write_string_with_format(4, 1, HEAD[1], &head)?;
        let mut r = 5;
        for (a, b) in ROWS {
            ws.write_string_with_format(r, 0, a, &wrap)?;
            ws.write_string_with_format(r, 1, b, &wrap)?;
            r += 1;
        }
        for (sec, bullets) in SECTIONS {
            r += 1;
            ws.merge_range(r, 0, r, 1, sec, &plain)?;
            r += 1;
            for b in bullets {
                ws.merge_range(r, 0, r, 1, &format!("・{b}"), &plain)?;
                r += 1;
            }
        }
    }
    {
        let ws = wb.add_worksheet().set_name("千葉市")?;
        ws.write_string(0, 0, "千葉市圏域")?;
        ws.write_string(1, 0, HEAD[0])?;
        ws.write_string(1, 1, HEAD[1])?;
        ws.write_string(2, 0, "措置入院者の退院後支援を進める")?;
        ws.write_string(2, 1, "支援計画を１２件作成した")?;
    }
    wb.save(path)?;
    Ok(())
}

/// Form B 基礎情報: label | value | unit | 時点 rows; a group label merged down the rows it
/// covers; a hidden drop-down list sheet; dates (era and western); formulas; percentages.
fn kihon_xlsx(path: &Path) -> Result<(), BoxErr> {
    let mut wb = Workbook::new();
    let plain = Format::new();
    let thousands = Format::new().set_num_format("#,##0");
    let pct = Format::new().set_num_format("0.0%");
    let era = Format::new().set_num_format("[$-ja-JP]ggge\"年\"m\"月\"d\"日\"");
    let slash = Format::new().set_num_format("yyyy/m/d");
    let dec2 = Format::new().set_num_format("0.00");
    let wrap = Format::new().set_text_wrap();
    let vmerge = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);

    // Visible first sheet, then the hidden list, then a second visible sheet.
    let mut main = Worksheet::new();
    main.set_name("基礎情報")?;
    let ws = &mut main;
    ws.merge_range(0, 0, 0, 4, "「参加自治体状況共有」シート", &plain)?;
    ws.write_string(1, 0, "自治体名（記入してください→）")?;
    ws.write_string(1, 2, "世田谷区")?;
    ws.write_string(2, 0, "１ 県又は政令市の基礎情報")?;
    // header
    for (c, h) in ["項目", "", "数値", "単位", "時点"].iter().enumerate() {
        if !h.is_empty() {
            ws.write_string(3, c as u16, *h)?;
        }
    }
    // label spans A:B (horizontal merge)
    ws.merge_range(4, 0, 4, 1, "総人口", &plain)?;
    ws.write_number_with_format(4, 2, 920471.0, &thousands)?;
    ws.write_string(4, 3, "人")?;
    ws.write_string(4, 4, "R3年4月1日時点")?;
    ws.merge_range(5, 0, 5, 1, "障害保健福祉圏域数", &plain)?;
    ws.write_number(5, 2, 1.0)?;
    ws.write_string(5, 3, "か所")?;
    ws.write_string(5, 4, "R3年4月時点")?;
    ws.merge_range(6, 0, 6, 1, "精神科病床数", &plain)?;
    ws.write_number_with_format(6, 2, 1520.0, &thousands)?;
    ws.write_string(6, 3, "床")?;
    ws.write_string(6, 4, "R3年4月時点")?;
    // group label merged down four rows (vertical merge); the total is a formula
    ws.merge_range(
        7,
        0,
        10,
        0,
        "入院精神障害者数\n（R3年6月30日時点）",
        &vmerge,
    )?;
    ws.write_string(7, 1, "合計")?;
    ws.write_formula(7, 2, Formula::new("=SUM(C9:C11)").set_result("568"))?;
    ws.write_string(7, 3, "人")?;
    let parts = [
        ("３か月未満", 0.0),
        ("３か月以上１年未満", 0.0),
        ("１年以上", 568.0),
    ];
    for (i, (label, n)) in parts.iter().enumerate() {
        let r = 8 + i as u32;
        ws.write_string(r, 1, *label)?;
        ws.write_number(r, 2, *n)?;
        ws.write_string(r, 3, "人")?;
        let share = if *n > 0.0 { 1.0 } else { 0.0 };
        ws.write_formula_with_format(
            r,
            4,
            Formula::new(format!("=C{}/$C$8", r + 1)).set_result(share.to_string()),
            &pct,
        )?;
    }
    ws.merge_range(11, 0, 11, 1, "退院率（入院後３か月時点）", &plain)?;
    ws.write_number_with_format(11, 2, 0.625, &pct)?;
    ws.merge_range(12, 0, 12, 1, "平均在院日数", &plain)?;
    ws.write_number_with_format(12, 2, 265.456, &dec2)?;
    ws.write_string(12, 3, "日")?;
    ws.merge_range(13, 0, 13, 1, "精神領域に関する議論を行う部会の有無", &plain)?;
    ws.write_string(13, 2, "有")?;
    ws.add_data_validation(
        13,
        2,
        13,
        2,
        &DataValidation::new().allow_list_formula(Formula::new("=リスト!$A$1:$A$2")),
    )?;
    ws.merge_range(14, 0, 14, 1, "調査基準日", &plain)?;
    let d = ExcelDateTime::from_ymd(2021, 4, 1)?;
    ws.write_datetime_with_format(14, 2, &d, &era)?;
    ws.write_datetime_with_format(14, 4, &d, &slash)?;
    // a paragraph after an empty row, with a multi-line cell
    ws.merge_range(
        16,
        0,
        16,
        4,
        "※半角数字で入力してください。\n「■網掛け」部分は自動計算です。",
        &wrap,
    )?;

    let mut list = Worksheet::new();
    list.set_name("リスト")?;
    list.write_string(0, 0, "有")?;
    list.write_string(1, 0, "無")?;
    list.write_string(2, 0, "この行は隠しシートの中身です")?;
    list.set_hidden(true);

    let mut sched = Worksheet::new();
    sched.set_name("スケジュール")?;
    sched.write_string(0, 0, "時期（月）")?;
    sched.write_string(0, 1, "実施する項目")?;
    sched.write_number(1, 0, 6.0)?;
    sched.write_string(1, 1, "協議の場（第１回）")?;
    sched.write_number(2, 0, 10.0)?;
    sched.write_string(2, 1, "ピアサポーター養成研修")?;

    wb.push_worksheet(main);
    wb.push_worksheet(list);
    wb.push_worksheet(sched);
    wb.save(path)?;
    Ok(())
}

fn numbering_docx(docx: Docx) -> Docx {
    // ids 10/11: docx-rs already writes a default abstractNum and num with id 1
    docx.add_abstract_numbering(AbstractNumbering::new(10).add_level(Level::new(
        0,
        Start::new(1),
        NumberFormat::new("bullet"),
        LevelText::new("●"),
        LevelJc::new("left"),
    )))
    .add_numbering(Numbering::new(10, 10))
    .add_abstract_numbering(AbstractNumbering::new(11).add_level(Level::new(
        0,
        Start::new(1),
        NumberFormat::new("decimal"),
        LevelText::new("(%1)"),
        LevelJc::new("left"),
    )))
    .add_numbering(Numbering::new(11, 11))
}

fn p(text: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(text))
}

fn cell(text: &str) -> TableCell {
    let mut para = Paragraph::new();
    let mut run = Run::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            run = run.add_break(BreakType::TextWrapping);
        }
        run = run.add_text(line);
    }
    para = para.add_run(run);
    TableCell::new().add_paragraph(para)
}

/// Form A as Word writes it: paragraphs, a table with a merged header row and a multi-line
/// cell, a nested table, words split across runs, bullet and decimal numbering, a header
/// and footer (running text that is skipped).
fn forma_docx(path: &Path) -> Result<(), BoxErr> {
    let mut docx = numbering_docx(Docx::new())
        .header(Header::new().add_paragraph(p("ヘッダー：会議資料（取扱注意）")))
        .footer(Footer::new().add_paragraph(p("フッター：- 1 -")));
    docx = docx.add_paragraph(p(TITLE_A)).add_paragraph(p(REGION));
    // a heading split across three runs, one of them bold
    docx = docx.add_paragraph(
        Paragraph::new()
            .add_run(Run::new().add_text("１．令和２年度の"))
            .add_run(Run::new().add_text("達成").bold())
            .add_run(Run::new().add_text("目標・取組状況")),
    );
    let mut rows = vec![
        TableRow::new(vec![cell(SEC1).grid_span(2)]),
        TableRow::new(vec![cell(HEAD[0]), cell(HEAD[1])]),
    ];
    for (a, b) in ROWS {
        rows.push(TableRow::new(vec![cell(a), cell(b)]));
    }
    // vertical merge: one goal, two status rows
    rows.push(TableRow::new(vec![
        cell("地域移行支援の対象者をリストアップする").vertical_merge(VMergeType::Restart),
        cell("対象者を１５名把握した"),
    ]));
    rows.push(TableRow::new(vec![
        TableCell::new()
            .add_paragraph(Paragraph::new())
            .vertical_merge(VMergeType::Continue),
        cell("うち３名が退院した"),
    ]));
    // a nested table inside a cell
    let nested = Table::new(vec![
        TableRow::new(vec![cell("開催回"), cell("参加者数")]),
        TableRow::new(vec![cell("第１回"), cell("２５名")]),
    ]);
    rows.push(TableRow::new(vec![
        cell("協議の場の参加者を増やす"),
        TableCell::new()
            .add_paragraph(p("協議の場の開催状況"))
            .add_table(nested),
    ]));
    docx = docx.add_table(Table::new(rows));
    for (i, (sec, bullets)) in SECTIONS.iter().enumerate() {
        docx = docx.add_paragraph(p(sec));
        for b in bullets {
            let num = if i == 2 { 11 } else { 10 };
            docx = docx.add_paragraph(p(b).numbering(NumberingId::new(num), IndentLevel::new(0)));
        }
    }
    let file = std::fs::File::create(path)?;
    docx.build().pack(file)?;
    Ok(())
}

fn bench_xlsx(path: &Path, rows: u32) -> Result<(), BoxErr> {
    let mut wb = Workbook::new();
    let thousands = Format::new().set_num_format("#,##0");
    let pct = Format::new().set_num_format("0.0%");
    let era = Format::new().set_num_format("[$-ja-JP]ggge\"年\"m\"月\"d\"日\"");
    let ws = wb.add_worksheet().set_name("一覧")?;
    for c in 0..8u16 {
        ws.write_string(0, c, format!("列{c}"))?;
    }
    let d = ExcelDateTime::from_ymd(2021, 4, 1)?;
    for r in 1..=rows {
        ws.write_string(r, 0, format!("地域{r}・ピアサポート活動の状況"))?;
        ws.write_string(r, 1, ROWS[(r % 3) as usize].1)?;
        ws.write_number_with_format(r, 2, f64::from(r) * 1000.0, &thousands)?;
        ws.write_number_with_format(r, 3, f64::from(r % 100) / 100.0, &pct)?;
        ws.write_datetime_with_format(r, 4, &d, &era)?;
        ws.write_formula(
            r,
            5,
            Formula::new(format!("=C{}*2", r + 1)).set_result((r * 2000).to_string()),
        )?;
        ws.write_string(r, 6, "有")?;
        ws.write_number(r, 7, f64::from(r) + 0.5)?;
    }
    wb.save(path)?;
    Ok(())
}

fn bench_docx(path: &Path, paras: u32) -> Result<(), BoxErr> {
    let mut docx = numbering_docx(Docx::new());
    for i in 0..paras {
        docx = docx.add_paragraph(p(&format!("{i}．{}", ROWS[(i % 3) as usize].0)));
        if i % 50 == 0 {
            let mut rows = vec![TableRow::new(vec![cell(HEAD[0]), cell(HEAD[1])])];
            for (a, b) in ROWS {
                rows.push(TableRow::new(vec![cell(a), cell(b)]));
            }
            docx = docx.add_table(Table::new(rows));
        }
    }
    docx.build().pack(std::fs::File::create(path)?)?;
    Ok(())
}
