//! `nimo inspect FILE`: how a file would be read — its form, year, sheets and their
//! regions, sections — without storing it.

use std::path::Path;
use std::process::ExitCode;

use crate::domain::era::era_label;
use crate::domain::ports::FileReader;
use crate::domain::search::corpus;
use crate::domain::search::passage::RegionSource;
use crate::setup::Config;

pub fn run(config: &Config, path: &Path) -> anyhow::Result<ExitCode> {
    let lexicon = config.lexicon()?;
    if path.is_dir() {
        eprintln!(
            "{} はフォルダです。ファイルを1つ指定してください（フォルダごと取り込むときは nimo ingest）。",
            path.display()
        );
        return Ok(ExitCode::from(2));
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{}: {}", path.display(), crate::cli::reply::io_reason(&e));
            return Ok(ExitCode::from(2));
        }
    };
    let id = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let read = match crate::setup::file_reader().read(&bytes) {
        Ok(read) => read,
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            return Ok(ExitCode::from(1));
        }
    };
    match corpus::parse_text(&id, &read.text, &lexicon) {
        Ok(doc) => {
            println!("文書: {}（{}・{}）", doc.title, doc.form, read.format);
            println!(
                "年度: {}　シート: {}　文章: {}件",
                doc.fiscal_year
                    .map(era_label)
                    .unwrap_or_else(|| "不明".into()),
                doc.sheets,
                doc.passages.len()
            );
            let mut last: Option<(String, String)> = None;
            for p in &doc.passages {
                let key = (p.region.key(), p.section.clone());
                if last.as_ref() != Some(&key) {
                    if last.as_ref().map(|l| &l.0) != Some(&key.0) {
                        let source = match p.region_source {
                            RegionSource::Banner => "地域名の行から",
                            RegionSource::Header => "文書の見出しから",
                            RegionSource::Content => "本文から推定・要確認",
                            RegionSource::Registered => "登録された担当者から",
                            RegionSource::Unknown => "判定できず",
                        };
                        println!(
                            "\n■ {}（{}・{source}）",
                            p.region.name,
                            p.region.kind.label(),
                        );
                    }
                    println!("  ・{}", p.section);
                    last = Some(key);
                }
            }
            for f in &doc.figures {
                println!("\n数値（{}）: {}件", f.region.name, f.figures.len());
            }
            for w in read.warnings.iter().chain(&doc.warnings) {
                println!("確認: {w}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            Ok(ExitCode::from(1))
        }
    }
}
