//! The `nimo` binary end to end: what a newcomer types, against a fresh data directory.

use std::path::Path;
use std::process::{Command, Output};

use crate::helpers::corpus;

fn nimo(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nimo"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("DISCORD_TOKEN")
        .env("NO_COLOR", "1")
        .output()
        .expect("run nimo")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 output")
}

/// A fresh data directory with the sample corpus ingested.
fn with_corpus() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let out = nimo(tmp.path(), &["ingest", corpus().to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    tmp
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

#[test]
fn ingest_ask_list_export() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    let out = nimo(data, &["ingest", corpus().to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains("4ファイルを取り込み"),
        "{}",
        stdout(&out)
    );

    // Ask in Japanese, machine-readable.
    let out = nimo(
        data,
        &["ask", "神奈川県のピアサポーター", "--json", "--limit", "3"],
    );
    assert!(out.status.success());
    let v = json(&out);
    let hits = v["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    for h in hits {
        for field in [
            "region",
            "prefecture",
            "region_kind",
            "doc",
            "section",
            "fiscal_year",
            "topics",
            "score",
            "snippet",
            "text",
        ] {
            assert!(h.get(field).is_some(), "missing {field}");
        }
        assert_eq!(h["prefecture"], "神奈川県");
    }
    assert!(v["took_ms"].as_f64().unwrap() >= 0.0);

    // Human output is Japanese and cites its sources.
    let out = nimo(data, &["ask", "アウトリーチ"]);
    let text = stdout(&out);
    assert!(
        text.contains("検索結果") && text.contains("出典:"),
        "{text}"
    );

    // A region alone lists its passages; 東京都 includes its wards.
    let out = nimo(
        data,
        &["ask", "--region", "東京都", "--json", "--limit", "50"],
    );
    let v = json(&out);
    let regions: std::collections::BTreeSet<String> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["region_key"].as_str().unwrap().to_string())
        .collect();
    assert!(regions.len() >= 3, "{regions:?}");

    let out = nimo(data, &["regions", "--json"]);
    let v = json(&out);
    let regions = v["regions"].as_array().unwrap();
    // 27 regions in 001, plus 文京区 (002) and さいたま市 (004); 000 is 世田谷区 again.
    assert_eq!(regions.len(), 29);
    let total: u64 = regions
        .iter()
        .map(|r| r["passages"].as_u64().unwrap())
        .sum();
    for r in regions {
        for field in ["name", "prefecture", "kind", "passages"] {
            assert!(r.get(field).is_some());
        }
    }

    let out = nimo(data, &["export", "--jsonl"]);
    let lines: Vec<String> = stdout(&out).lines().map(String::from).collect();
    assert_eq!(lines.len() as u64, total);
    for l in &lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert!(v["text"].as_str().is_some_and(|t| !t.is_empty()));
    }
}

#[test]
fn reingest_is_idempotent_and_broken_files_do_no_harm() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let docs = tmp.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::copy(
        corpus().join("004_b3d3177b1f3b7ec9.txt"),
        docs.join("004.txt"),
    )
    .unwrap();
    let out = nimo(&data, &["ingest", docs.to_str().unwrap()]);
    assert!(out.status.success());
    let count = |data: &Path| {
        let v = json(&nimo(data, &["regions", "--json"]));
        v["regions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["passages"].as_u64().unwrap())
            .sum::<u64>()
    };
    let before = count(&data);
    assert!(before > 0);

    // Same file again, and again with --force: same passages, not twice as many.
    assert!(stdout(&nimo(&data, &["ingest", docs.to_str().unwrap()])).contains("変更なし1"));
    assert!(
        nimo(&data, &["ingest", "--force", docs.to_str().unwrap()])
            .status
            .success()
    );
    assert_eq!(count(&data), before);

    // A binary file and an empty file: each reported, nothing else touched; a Shift_JIS
    // file (as Windows Notepad saves) is read, and says so.
    std::fs::write(docs.join("binary.txt"), [0u8, 159, 146, 150, 0]).unwrap();
    std::fs::write(docs.join("empty.txt"), "\n\n").unwrap();
    std::fs::write(docs.join("sjis.txt"), [0x93, 0xfa, 0x96, 0x7b]).unwrap();
    let out = nimo(&data, &["ingest", docs.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    for name in ["binary.txt", "empty.txt"] {
        assert!(
            text.contains(&format!("失敗: {}", docs.join(name).display())),
            "{text}"
        );
    }
    assert!(text.contains("取り込み: sjis.txt"), "{text}");
    assert!(
        text.contains("Shift_JIS のテキストとして読みました"),
        "{text}"
    );
    assert_eq!(count(&data), before + 1);
    let out = nimo(&data, &["ask", "ピアサポーター", "--json"]);
    assert!(!json(&out)["hits"].as_array().unwrap().is_empty());
}

#[test]
fn bad_questions_get_clear_answers() {
    let tmp = with_corpus();
    let data = tmp.path();
    for q in ["\"", ":", "(", "^", "~", "ピア\"サポーター(", "a:b^2~"] {
        let out = nimo(data, &["ask", q, "--json"]);
        assert!(
            matches!(out.status.code(), Some(0) | Some(2)),
            "{q}: {:?}",
            out
        );
        assert!(json(&out).get("hits").is_some());
    }
    let long = "ピア".repeat(10_000);
    let out = nimo(data, &["ask", &long]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("最初の300文字"));
    let out = nimo(data, &["ask", "   "]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("質問が空です"));
    let out = nimo(data, &["ask", "研修", "--region", "アトランティス"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("見つかりませんでした"));
    let out = nimo(data, &["ask", "研修", "--year", "そのうち"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn chat_in_the_terminal() {
    use std::io::Write;
    let tmp = with_corpus();
    let data = tmp.path();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nimo"))
        .arg("--data-dir")
        .arg(data)
        .arg("chat")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("世田谷区の取組は？\n/次\n/なにこれ\n\n令和３年度の協議の場\n/終了\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("世田谷区の資料"), "{text}");
    assert!(text.contains("6〜10件目"), "{text}");
    assert!(
        text.contains("「/なにこれ」というコマンドはありません"),
        "{text}"
    );
    assert!(text.contains("令和3年度"), "{text}");
    assert!(text.contains("ご利用ありがとうございました"), "{text}");
}

fn chat_as(data: &Path, who: &str, lines: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_nimo"))
        .arg("--data-dir")
        .arg(data)
        .args(["chat", "--as", who])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    stdout(&out)
}

/// An organizer sets up a meeting on the command line; a staff member fills in the form
/// in two terminal sessions (a new process resumes the first), submits, and the organizer
/// exports.
#[test]
fn jizen_kadai_in_the_terminal_across_processes() {
    let tmp = with_corpus();
    let data = tmp.path();
    let out = nimo(data, &["form", "list"]);
    assert!(
        stdout(&out).contains("jizen-kadai@2020.1"),
        "{}",
        stdout(&out)
    );
    let out = nimo(
        data,
        &[
            "meeting",
            "create",
            "--name",
            "令和３年度 第２回 AD合同会議",
            "--form",
            "jizen-kadai",
            "--deadline",
            "2099-12-10 17:00",
            "--fiscal-year",
            "令和3年度",
        ],
    );
    assert!(
        stdout(&out).contains("会議 1 を作成しました"),
        "{}",
        stdout(&out)
    );
    let out = nimo(
        data,
        &[
            "people",
            "grant",
            "山田",
            "--role",
            "staff",
            "--region",
            "東京都世田谷区",
        ],
    );
    assert!(
        stdout(&out).contains("世田谷区の担当者"),
        "{}",
        stdout(&out)
    );
    // Someone not registered is told how to get there.
    let text = chat_as(data, "田中", "/事前課題\n/担当申請 文京区\n/終了\n");
    assert!(text.contains("担当する地域が登録されていません"), "{text}");
    assert!(text.contains("申請しました"), "{text}");
    assert!(stdout(&nimo(data, &["people", "pending"])).contains("文京区"));

    // First session: two answers, then the terminal closes.
    let text = chat_as(
        data,
        "山田",
        "/事前課題\n訪問支援の試行｜病院訪問を開始\n次へ\n・電話相談を開始\n",
    );
    assert!(
        text.contains("【1/4】") && text.contains("1行目を記録しました"),
        "{text}"
    );
    // Second session (a new process): the conversation resumes where it was.
    let text = chat_as(
        data,
        "山田",
        "・ピア相談員を養成\n次へ\n・周知が課題\n次へ\n・活躍の場を広げる\n次へ\n提出\n/終了\n",
    );
    assert!(text.contains("前回開いていた事前課題があります"), "{text}");
    assert!(
        text.contains("2項目になりました"),
        "the first session's item is kept: {text}"
    );
    assert!(text.contains("提出しました（第1版"), "{text}");

    // Searchable at once; the organizer exports.
    let out = nimo(
        data,
        &[
            "ask",
            "世田谷区のピア相談員を養成",
            "--json",
            "--limit",
            "20",
        ],
    );
    let v = json(&out);
    assert!(
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["form"] == "提出" && h["doc_title"].as_str().unwrap().contains("第２回"))
    );
    let export_dir = tmp.path().join("export");
    let out = nimo(
        data,
        &[
            "meeting",
            "export",
            "1",
            "--out",
            export_dir.to_str().unwrap(),
        ],
    );
    assert!(
        stdout(&out).contains("1地域の提出を書き出しました"),
        "{}",
        stdout(&out)
    );
    let md = std::fs::read_to_string(export_dir.join("meeting-1.md")).unwrap();
    assert!(
        md.contains("## 東京都世田谷区") && md.contains("| 訪問支援の試行 | 病院訪問を開始 |"),
        "{md}"
    );
    let csv = std::fs::read(export_dir.join("meeting-1.csv")).unwrap();
    assert!(csv.starts_with(&[0xEF, 0xBB, 0xBF]));
    assert!(
        std::fs::metadata(export_dir.join("meeting-1.xlsx"))
            .unwrap()
            .len()
            > 1000
    );
    let list = stdout(&nimo(data, &["meeting", "list"]));
    assert!(list.contains("提出 1／下書き 0"), "{list}");
}

/// A data directory with a form A meeting open until 2099 and 山田 and 佐藤 as staff of
/// 世田谷区, both standing at the bullets of 【2/4】.
fn two_staff_at_the_bullets() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    for args in [
        &[
            "meeting",
            "create",
            "--name",
            "令和３年度 第２回 AD合同会議",
            "--form",
            "jizen-kadai",
            "--deadline",
            "2099-12-10 17:00",
        ][..],
        &[
            "people",
            "grant",
            "山田",
            "--role",
            "staff",
            "--region",
            "東京都世田谷区",
        ],
        &[
            "people",
            "grant",
            "佐藤",
            "--role",
            "staff",
            "--region",
            "東京都世田谷区",
        ],
    ] {
        let out = nimo(data, args);
        assert!(out.status.success(), "{}", stdout(&out));
    }
    chat_as(data, "山田", "/事前課題\n地域移行｜病院訪問\n次へ\n");
    chat_as(data, "佐藤", "/事前課題\n次へ\n");
    tmp
}

/// The bullets stored for 【2/4】, read by a fresh process.
fn stored_bullets(data: &Path) -> Vec<String> {
    let text = chat_as(data, "山田", "/事前課題\nプレビュー\n中断\n");
    let (_, preview) = text
        .split_once("提出される内容のプレビューです")
        .expect("a preview");
    preview
        .lines()
        .filter_map(|l| l.split_once("・").map(|(_, item)| item.trim().to_string()))
        .filter(|item| item.contains("の成果"))
        .collect()
}

/// Two people of one region, each in their own `nimo chat --as`, add bullets to the same
/// answer at the same moment: every acknowledged bullet is in the database.
#[test]
fn two_terminals_writing_at_once_lose_nothing() {
    let tmp = two_staff_at_the_bullets();
    let data = tmp.path().to_path_buf();
    let writers: Vec<_> = ["山田", "佐藤"]
        .into_iter()
        .map(|who| {
            let data = data.clone();
            std::thread::spawn(move || {
                let lines: String = (0..9).map(|i| format!("・{who}の成果{i}\n")).collect();
                let said = chat_as(&data, who, &lines);
                said.matches("項目になりました").count()
            })
        })
        .collect();
    let acknowledged: usize = writers.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(acknowledged, 18);
    let stored = stored_bullets(&data);
    assert_eq!(stored.len(), 18, "{stored:?}");
    for who in ["山田", "佐藤"] {
        let mine: Vec<&String> = stored.iter().filter(|s| s.starts_with(who)).collect();
        let expected: Vec<String> = (0..9).map(|i| format!("{who}の成果{i}")).collect();
        assert_eq!(
            mine.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            expected,
            "each person's bullets in the order typed"
        );
    }
}

/// `nimo chat` killed with -9 in the middle of a conversation: every answer it
/// acknowledged is there afterwards.
#[test]
fn a_terminal_killed_mid_conversation_keeps_every_acknowledged_answer() {
    use std::io::{BufRead, BufReader, Write};
    let tmp = two_staff_at_the_bullets();
    let data = tmp.path();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nimo"))
        .arg("--data-dir")
        .arg(data)
        .args(["chat", "--as", "山田"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    writeln!(stdin, "/事前課題").unwrap();
    let mut acknowledged = 0;
    for i in 0..12 {
        writeln!(stdin, "・山田の成果{i}").unwrap();
        stdin.flush().unwrap();
        if i < 6 {
            // Wait for the acknowledgement of the first six, one by one.
            for line in lines.by_ref() {
                if line.unwrap().contains("項目になりました") {
                    acknowledged += 1;
                    break;
                }
            }
        }
    }
    // The rest are in flight: the process dies now.
    child.kill().unwrap();
    child.wait().unwrap();
    for line in lines.map_while(Result::ok) {
        acknowledged += line.matches("項目になりました").count();
    }
    assert!(acknowledged >= 6);
    let stored = stored_bullets(data);
    assert!(
        stored.len() >= acknowledged,
        "acknowledged {acknowledged}, stored {stored:?}"
    );
    let expected: Vec<String> = (0..stored.len())
        .map(|i| format!("山田の成果{i}"))
        .collect();
    assert_eq!(stored, expected, "stored in order, none lost in between");
}

/// A page far past the end, or at the end of usize, is answered, not crashed.
#[test]
fn far_pages_are_answered() {
    let tmp = with_corpus();
    for offset in ["999999999", "18446744073709551615", "100"] {
        let out = nimo(tmp.path(), &["ask", "ピア", "--offset", offset]);
        assert!(out.status.success(), "{offset}: {:?}", out);
        let text = stdout(&out);
        assert!(text.contains("件目より先はありません"), "{offset}: {text}");
    }
    let out = nimo(tmp.path(), &["ask", "ピア", "--offset", "999999999"]);
    assert!(stdout(&out).contains("10000件目より先は表示できません"));
}

/// A copy of a document cut short (valid text, most of it missing) does not replace the
/// whole document: refused with the numbers, taken only with --force.
#[test]
fn a_truncated_copy_does_not_replace_a_whole_document() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let docs = tmp.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    let original = std::fs::read(corpus().join("001_2adf2e42dc73fb39.txt")).unwrap();
    let file = docs.join("001_2adf2e42dc73fb39.txt");
    std::fs::write(&file, &original).unwrap();
    assert!(
        nimo(&data, &["ingest", file.to_str().unwrap()])
            .status
            .success()
    );
    let passages = |data: &Path| {
        json(&nimo(data, &["regions", "--json"]))["regions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["passages"].as_u64().unwrap())
            .sum::<u64>()
    };
    let before = passages(&data);
    assert!(before > 100, "{before}");
    // The first 101 bytes, cut at a character boundary.
    let text = String::from_utf8(original).unwrap();
    let mut cut = 101;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    std::fs::write(&file, &text[..cut]).unwrap();
    let out = nimo(&data, &["ingest", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let said = stdout(&out);
    assert!(
        said.contains("件に減るため、取り込みませんでした") && said.contains("--force"),
        "{said}"
    );
    assert_eq!(passages(&data), before, "nothing was replaced");
    let out = nimo(&data, &["ingest", "--force", file.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(passages(&data) < before, "taken when forced");
}

/// The command line speaks Japanese when it is used wrongly, answers in JSON when JSON was
/// asked for, and says nothing when its reader goes away.
#[test]
fn mistakes_on_the_command_line_are_explained_in_japanese() {
    let tmp = with_corpus();
    let data = tmp.path();
    for (args, expected) in [
        (&["--bogus"][..], "「--bogus」というオプションはありません"),
        (
            &["meeting", "nothing"][..],
            "「nothing」というコマンドはありません",
        ),
        (
            &["ask", "--limit", "abc", "x"][..],
            "の値「abc」を読み取れません",
        ),
        (&["meeting", "create"][..], "を指定してください"),
    ] {
        let out = nimo(data, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains(expected), "{args:?}: {said}");
        assert!(!said.contains("error:"), "no English: {said}");
    }
    let help = stdout(&nimo(data, &["--help"]));
    assert!(
        help.contains("使い方:") && help.contains("コマンド:"),
        "{help}"
    );

    let out = nimo(data, &["ask", "ピア", "--year", "いつか", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        json(&out)["error"]
            .as_str()
            .unwrap()
            .contains("年度「いつか」")
    );

    // `nimo export --jsonl | head -1`: the pipe closes early, nimo ends quietly.
    let mut child = Command::new(env!("CARGO_BIN_EXE_nimo"))
        .arg("--data-dir")
        .arg(data)
        .args(["export", "--jsonl"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(out.stderr.is_empty() || !String::from_utf8_lossy(&out.stderr).contains("エラー"));
}
