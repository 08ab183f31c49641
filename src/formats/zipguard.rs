//! Opening xlsx/docx zips safely.
//!
//! Everything is decided from the central directory before a single byte is inflated:
//! entry count, the sum of declared uncompressed sizes, each entry's compression ratio,
//! encryption and compression method. A zip that lies about its sizes cannot get past that
//! either: the `zip` crate (9.x) stops an entry's reader with an error once it has produced
//! more than the declared size, so calamine and our own readers never see more than what
//! was checked (tests: `bomb_lying_sizes.xlsx`).

use std::io::{Cursor, Read};

use zip::ZipArchive;
use zip::result::ZipError;

use super::{Limits, ReadError};

pub(crate) type Archive<'a> = ZipArchive<Cursor<&'a [u8]>>;

/// Opens the archive and reads its central directory, nothing more.
pub(crate) fn open(bytes: &[u8]) -> Result<Archive<'_>, ReadError> {
    ZipArchive::new(Cursor::new(bytes)).map_err(|e| zip_error(&e, None))
}

/// Opens the archive and checks its declared contents against `limits`.
pub(crate) fn open_checked<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Archive<'a>, ReadError> {
    let mut zip = open(bytes)?;
    if zip.len() > limits.max_zip_entries {
        return Err(ReadError::ZipBomb {
            detail: format!(
                "中のファイルが {} 個あります（上限 {}）",
                zip.len(),
                limits.max_zip_entries
            ),
        });
    }
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(|e| zip_error(&e, None))?;
        if entry.encrypted() {
            return Err(ReadError::Encrypted);
        }
        match entry.compression() {
            zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated => {}
            other => {
                return Err(ReadError::Damaged {
                    detail: format!("対応していない圧縮方式です（{other:?}）"),
                });
            }
        }
        let size = entry.size();
        let packed = entry.compressed_size().max(1);
        total = total.saturating_add(size);
        if total > limits.max_unzipped {
            return Err(ReadError::ZipBomb {
                detail: format!(
                    "展開後 {} を超えます（上限 {}）",
                    human(total),
                    human(limits.max_unzipped)
                ),
            });
        }
        if size >= limits.ratio_min_size && size / packed > limits.max_ratio {
            return Err(ReadError::ZipBomb {
                detail: format!(
                    "「{}」が {} 倍に膨らみます（上限 {} 倍）",
                    entry.name().unwrap_or_default(),
                    size / packed,
                    limits.max_ratio
                ),
            });
        }
    }
    Ok(zip)
}

/// Reads one entry whole, if present; at most `cap` bytes (the entry was checked already,
/// the cap is a second belt).
pub(crate) fn read_entry(
    zip: &mut Archive<'_>,
    name: &str,
    cap: u64,
) -> Result<Option<Vec<u8>>, ReadError> {
    let entry = match zip.by_name(name) {
        Ok(e) => e,
        Err(ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(zip_error(&e, Some(name))),
    };
    let mut buf = Vec::with_capacity(entry.size().min(cap) as usize);
    entry
        .take(cap.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| ReadError::Damaged {
            detail: format!("「{name}」を展開できません: {e}"),
        })?;
    if buf.len() as u64 > cap {
        return Err(ReadError::ZipBomb {
            detail: format!("「{name}」が上限 {} を超えます", human(cap)),
        });
    }
    Ok(Some(buf))
}

pub(crate) fn zip_error(e: &ZipError, name: Option<&str>) -> ReadError {
    let what = name.map(|n| format!("「{n}」: ")).unwrap_or_default();
    match e {
        ZipError::UnsupportedArchive(m) if m.contains("assword") => ReadError::Encrypted,
        ZipError::InvalidPassword => ReadError::Encrypted,
        _ => ReadError::Damaged {
            detail: format!("ZIP形式として読めません。{what}{e}"),
        },
    }
}

pub(crate) fn human(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{}MB", bytes / 1_000_000)
    } else {
        format!("{}KB", bytes.div_ceil(1000))
    }
}
