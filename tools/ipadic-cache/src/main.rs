//! Compile IPADIC (MeCab CSV + .def sources, UTF-8) into the directory layout that
//! lindera 6.2.0's `embed-ipadic` build script accepts as a cache
//! (`<cache>/6.2.0-fmt2/lindera-ipadic/`).
//!
//! Why this exists: lindera downloads IPADIC at build time, which fails on air-gapped
//! municipal networks. Debian ships the same sources in `mecab-ipadic`; this tool turns
//! them into the cache so `cargo build` never needs the network. See README "Offline build".
//!
//! Usage: ipadic-cache SRC_DIR DEST_DIR
//!   SRC_DIR   directory of UTF-8 *.csv, char.def, unk.def, matrix.def
//!   DEST_DIR  e.g. .lindera-cache/6.2.0-fmt2/lindera-ipadic

use std::path::PathBuf;

use anyhow::{Context, bail};
use lindera_dictionary::builder::DictionaryBuilder;
use lindera_dictionary::dictionary::metadata::Metadata;

/// The metadata.json shipped in the lindera-ipadic 6.2.0 crate (MIT), copied verbatim.
const IPADIC_METADATA: &str = include_str!("../metadata.json");

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        bail!("usage: {} SRC_DIR DEST_DIR", args[0]);
    }
    let src = PathBuf::from(&args[1]);
    let dest = PathBuf::from(&args[2]);
    for required in ["char.def", "unk.def", "matrix.def"] {
        if !src.join(required).is_file() {
            bail!("{} is missing {required}", src.display());
        }
    }
    let metadata: Metadata =
        serde_json::from_str(IPADIC_METADATA).context("parsing bundled IPADIC metadata")?;
    let started = std::time::Instant::now();
    DictionaryBuilder::new(metadata)
        .build_dictionary(&src, &dest)
        .map_err(|e| anyhow::anyhow!("building dictionary: {e}"))?;
    eprintln!(
        "ipadic-cache: built {} in {:.1}s",
        dest.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
