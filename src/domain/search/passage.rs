//! Documents and the passages they are cut into: the unit nimo finds and cites.

use serde::{Deserialize, Serialize};

use super::figures::Figure;
use super::region::Region;

/// Form kinds, as labels (forms themselves are data, see `index/sections.toml`).
pub const FORM_JIZEN_KADAI: &str = "事前課題";
pub const FORM_JICHITAI_SHEET: &str = "自治体情報シート";
pub const FORM_MATERIAL: &str = "資料";
pub const FORM_SUBMISSION: &str = "提出";

/// How the region of a passage was established, from most to least certain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionSource {
    /// The sheet's own region line (above or below it).
    Banner,
    /// A region line heading the document or its pages.
    Header,
    /// No region line: the region the sheet's text names most.
    Content,
    /// A registered staff member submitted it for this region.
    Registered,
    Unknown,
}

/// One citable piece of a document: a section, or a run of rows or bullets of one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    /// `{doc}#{ordinal}`.
    pub id: String,
    /// Document identifier: the source file name.
    pub doc: String,
    pub doc_title: String,
    /// Position in the document, from 0.
    pub ordinal: u32,
    pub region: Region,
    pub region_source: RegionSource,
    pub fiscal_year: Option<i32>,
    /// 事前課題 / 自治体情報シート / 資料 / 提出.
    pub form: String,
    /// Section title (「支援事業の成果」).
    pub section: String,
    /// Topic ids (see `index/topics.toml`).
    pub topics: Vec<String>,
    pub text: String,
}

/// A parsed document, ready to be stored and indexed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    pub title: String,
    pub form: String,
    pub fiscal_year: Option<i32>,
    /// Number of region sheets found (1 for single-region documents).
    pub sheets: usize,
    pub passages: Vec<Passage>,
    /// The basic figures its sheets state (or leave blank), per region.
    #[serde(default)]
    pub figures: Vec<RegionFigures>,
    /// Things a person should check (a sheet whose region was inferred, …), in Japanese.
    pub warnings: Vec<String>,
}

/// The 基礎情報 of one region's sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionFigures {
    pub region: Region,
    pub figures: Vec<Figure>,
}
