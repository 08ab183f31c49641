//! Regions and the gazetteer that places them.
//!
//! Regions nest: prefecture ⊃ 圏域 or designated city ⊃ block or ward. nimo gives every
//! region a *path* of names from its prefecture down (["愛知県", "名古屋市", "東ブロック"]),
//! so that asking about 愛知県 finds 名古屋市's blocks, and asking about 神奈川県 finds
//! 川崎市 and 相模原市. The gazetteer knows every prefecture and municipality (generated
//! from Japan Post data, see `index/gazetteer/`) and the 圏域 listed by hand.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use aho_corasick::{AhoCorasick, MatchKind};
use serde::{Deserialize, Serialize};

use crate::domain::text::nfkc;

/// What sort of place a region is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RegionKind {
    #[serde(rename = "都道府県")]
    Prefecture,
    #[serde(rename = "圏域")]
    Area,
    #[serde(rename = "市")]
    City,
    #[serde(rename = "区")]
    Ward,
    #[serde(rename = "町村")]
    Town,
    #[serde(rename = "ブロック")]
    Block,
    #[serde(rename = "不明")]
    Unknown,
}

impl RegionKind {
    pub fn label(self) -> &'static str {
        match self {
            RegionKind::Prefecture => "都道府県",
            RegionKind::Area => "圏域",
            RegionKind::City => "市",
            RegionKind::Ward => "区",
            RegionKind::Town => "町村",
            RegionKind::Block => "ブロック",
            RegionKind::Unknown => "不明",
        }
    }

    pub fn from_label(label: &str) -> RegionKind {
        match label {
            "都道府県" => RegionKind::Prefecture,
            "圏域" => RegionKind::Area,
            "市" => RegionKind::City,
            "区" => RegionKind::Ward,
            "町村" | "町" | "村" => RegionKind::Town,
            "ブロック" => RegionKind::Block,
            _ => RegionKind::Unknown,
        }
    }
}

impl fmt::Display for RegionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Separator of region path segments in keys ("愛知県/名古屋市/東ブロック").
pub const KEY_SEPARATOR: char = '/';

/// A region as a document or a person names it, placed in the nesting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    /// As written (「青森県・津軽圏域」), or the gazetteer's name when it was inferred.
    pub name: String,
    pub prefecture: Option<String>,
    pub kind: RegionKind,
    /// From the prefecture down; empty for an unknown region.
    pub path: Vec<String>,
}

impl Region {
    pub fn unknown() -> Region {
        Region {
            name: "地域不明".to_string(),
            prefecture: None,
            kind: RegionKind::Unknown,
            path: Vec::new(),
        }
    }

    /// Stable identity of the region: its path joined.
    pub fn key(&self) -> String {
        if self.path.is_empty() {
            return "?".to_string();
        }
        self.path.join(&KEY_SEPARATOR.to_string())
    }

    /// Keys of this region and every region containing it, outermost first.
    pub fn ancestor_keys(&self) -> Vec<String> {
        (1..=self.path.len())
            .map(|n| self.path[..n].join(&KEY_SEPARATOR.to_string()))
            .collect()
    }

    /// The one name nimo shows for the region, whatever spelling its document used:
    /// 「東京都世田谷区」, 「青森県・津軽圏域」, 「愛知県名古屋市・東ブロック」.
    pub fn display(&self) -> String {
        if self.path.is_empty() {
            return self.name.clone();
        }
        display_name(&self.key())
    }

    /// The most specific name, without the prefecture: 「津軽圏域」, 「名古屋市（東ブロック）」.
    pub fn short_name(&self) -> String {
        match self.path.len() {
            0 => self.name.clone(),
            1 => self.path[0].clone(),
            _ => {
                let rest = &self.path[1..];
                if self.kind == RegionKind::Block && rest.len() >= 2 {
                    format!("{}（{}）", rest[0], rest[1..].join("・"))
                } else {
                    rest.join("")
                }
            }
        }
    }
}

/// The name shown for a region key: municipalities run on from their prefecture
/// (「東京都世田谷区」), 圏域 and blocks follow a 「・」 (「青森県・津軽圏域」).
pub fn display_name(key: &str) -> String {
    let mut out = String::new();
    for (i, part) in key.split(KEY_SEPARATOR).enumerate() {
        if i > 0 && (part.ends_with("圏域") || part.ends_with("ブロック")) {
            out.push('・');
        }
        out.push_str(part);
    }
    out
}

/// One municipality (or designated-city ward) from `municipalities.tsv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Municipality {
    pub code: String,
    pub prefecture: String,
    /// Full name as the gazetteer writes it: 世田谷区, 名古屋市東区, 当別町.
    pub name: String,
    pub kind: RegionKind,
    /// For a ward of a designated city, the city (名古屋市).
    pub parent: Option<String>,
}

impl Municipality {
    fn path(&self) -> Vec<String> {
        match &self.parent {
            Some(city) => vec![
                self.prefecture.clone(),
                city.clone(),
                self.name[city.len()..].to_string(),
            ],
            None => vec![self.prefecture.clone(), self.name.clone()],
        }
    }

    fn region(&self, written: &str) -> Region {
        Region {
            name: written.to_string(),
            prefecture: Some(self.prefecture.clone()),
            kind: self.kind,
            path: self.path(),
        }
    }
}

/// A 圏域 listed in `areas.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Area {
    pub name: String,
    pub prefecture: String,
    #[serde(default)]
    pub within: Option<String>,
}

impl Area {
    fn region(&self) -> Region {
        let mut path = vec![self.prefecture.clone()];
        if let Some(city) = &self.within {
            path.push(city.clone());
        }
        path.push(self.name.clone());
        Region {
            name: self.name.clone(),
            prefecture: Some(self.prefecture.clone()),
            kind: RegionKind::Area,
            path,
        }
    }
}

/// Where a region was found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionMention {
    pub start: usize,
    pub end: usize,
    /// All regions the words could mean (「西部圏域」 is in two prefectures).
    pub regions: Vec<Region>,
}

/// Every place nimo can name.
#[derive(Debug, Clone)]
pub struct Gazetteer {
    prefectures: Vec<String>,
    municipalities: Vec<Municipality>,
    by_name: HashMap<String, Vec<usize>>,
    areas: Vec<Area>,
    /// Prefecture names without 都/府/県 (神奈川 → 神奈川県); 北海道 stays whole.
    stems: HashMap<String, String>,
    /// Leftmost-longest matchers over every name, without and with prefecture stems and
    /// designated-city stems: finding places in a text is one linear pass.
    names_matcher: AhoCorasick,
    stems_matcher: AhoCorasick,
    stem_patterns: Vec<String>,
    name_patterns: Vec<String>,
}

/// Characters that never occur in a region name: a line with them is prose, not a banner.
const NOT_IN_REGION_NAMES: &[char] = &[
    '。', '、', ',', '「', '」', '：', ':', '？', '?', '！', '!', '→', '※', '＜', '<', '【',
];

impl Gazetteer {
    /// Builds the gazetteer from `municipalities.tsv` text and the hand-listed areas.
    pub fn from_tsv(tsv: &str, areas: Vec<Area>) -> Result<Gazetteer, String> {
        let mut municipalities = Vec::new();
        let mut prefectures = BTreeSet::new();
        let mut prefecture_order: Vec<(String, String)> = Vec::new();
        for (n, line) in tsv.lines().enumerate() {
            if line.starts_with('#') || line.starts_with("code\t") || line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 4 {
                return Err(format!(
                    "municipalities.tsv line {}: expected 6 columns",
                    n + 1
                ));
            }
            let parent = cols.get(4).filter(|s| !s.is_empty()).map(|s| s.to_string());
            let kind = match cols[3] {
                "市" => RegionKind::City,
                "区" => RegionKind::Ward,
                "町" | "村" => RegionKind::Town,
                other => return Err(format!("line {}: unknown kind {other}", n + 1)),
            };
            if prefectures.insert(cols[1].to_string()) {
                prefecture_order.push((
                    cols[0].get(..2).unwrap_or("").to_string(),
                    cols[1].to_string(),
                ));
            }
            municipalities.push(Municipality {
                code: cols[0].to_string(),
                prefecture: cols[1].to_string(),
                name: cols[2].to_string(),
                kind,
                parent,
            });
        }
        prefecture_order.sort();
        let mut g = Gazetteer {
            prefectures: prefecture_order.into_iter().map(|(_, p)| p).collect(),
            municipalities,
            by_name: HashMap::new(),
            areas,
            stems: HashMap::new(),
            names_matcher: AhoCorasick::new(Vec::<String>::new()).expect("empty matcher"),
            stems_matcher: AhoCorasick::new(Vec::<String>::new()).expect("empty matcher"),
            stem_patterns: Vec::new(),
            name_patterns: Vec::new(),
        };
        for p in &g.prefectures {
            g.stems.insert(p.clone(), p.clone());
            if p.chars().count() > 2
                && let Some(stem) = p.strip_suffix(['都', '府', '県'])
            {
                g.stems.insert(stem.to_string(), p.clone());
            }
        }
        for (i, m) in g.municipalities.iter().enumerate() {
            g.by_name.entry(m.name.clone()).or_default().push(i);
        }
        let mut names: BTreeSet<String> = BTreeSet::new();
        names.extend(g.prefectures.iter().cloned());
        names.extend(g.municipalities.iter().map(|m| m.name.clone()));
        names.extend(g.areas.iter().map(|a| a.name.clone()));
        names.retain(|n| n.chars().count() >= 2);
        let mut with_stems = names.clone();
        with_stems.extend(g.stems.keys().filter(|s| s.chars().count() >= 2).cloned());
        for m in &g.municipalities {
            if let Some(city) = &m.parent {
                with_stems.insert(city.trim_end_matches('市').to_string());
            }
        }
        with_stems.retain(|n| n.chars().count() >= 2);
        let build = |patterns: &[String]| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(patterns)
                .map_err(|e| format!("building the place-name matcher: {e}"))
        };
        g.name_patterns = names.into_iter().collect();
        g.stem_patterns = with_stems.into_iter().collect();
        g.names_matcher = build(&g.name_patterns)?;
        g.stems_matcher = build(&g.stem_patterns)?;
        Ok(g)
    }

    pub fn prefectures(&self) -> &[String] {
        &self.prefectures
    }

    pub fn areas(&self) -> &[Area] {
        &self.areas
    }

    pub fn municipalities(&self) -> &[Municipality] {
        &self.municipalities
    }

    pub fn is_prefecture(&self, name: &str) -> bool {
        self.prefectures.iter().any(|p| p == name)
    }

    /// 神奈川 → 神奈川県, 東京 → 東京都, 北海道 → 北海道.
    pub fn prefecture_by_stem(&self, stem: &str) -> Option<&str> {
        self.stems.get(stem).map(String::as_str)
    }

    fn municipalities_named(&self, name: &str) -> impl Iterator<Item = &Municipality> {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .map(|&i| &self.municipalities[i])
    }

    /// Reads a region line or a region name as documents write them: 「青森県・津軽圏域」,
    /// 「愛知県・名古屋市（東ブロック）」, 「川崎市北部・中部圏域」, 「東京都 江戸川区」,
    /// 「千葉市圏域」, 「葛飾区」. Returns `None` for anything that is not only a region name.
    pub fn parse_region(&self, written: &str) -> Option<Region> {
        let display = written.split_whitespace().collect::<Vec<_>>().join(" ");
        let s: String = nfkc(&display)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if s.is_empty() || s.chars().count() > 40 || s.contains(NOT_IN_REGION_NAMES) {
            return None;
        }
        // 1. An optional prefecture prefix.
        let (prefecture, rest) = match self
            .prefectures
            .iter()
            .filter(|p| s.starts_with(p.as_str()))
            .max_by_key(|p| p.len())
        {
            Some(p) => (Some(p.clone()), s[p.len()..].trim_start_matches('・')),
            None => (None, s.as_str()),
        };
        if rest.is_empty() {
            let p = prefecture?;
            return Some(Region {
                name: display,
                prefecture: Some(p.clone()),
                kind: RegionKind::Prefecture,
                path: vec![p],
            });
        }
        // 2. A municipality, longest name first, in the stated prefecture if any.
        let mut best: Option<&Municipality> = None;
        let mut ambiguous = false;
        for (end, _) in rest
            .char_indices()
            .skip(1)
            .chain(std::iter::once((rest.len(), ' ')))
        {
            let head = &rest[..end];
            let candidates: Vec<&Municipality> = self
                .municipalities_named(head)
                .filter(|m| prefecture.as_ref().is_none_or(|p| &m.prefecture == p))
                .collect();
            if candidates.is_empty() {
                continue;
            }
            // Tokyo's special wards are written alone; other prefectures' same-named places
            // are not, so a lone 「北区」 is 東京都北区.
            let preferred: Vec<&Municipality> = if candidates.len() > 1 {
                let tokyo: Vec<_> = candidates
                    .iter()
                    .copied()
                    .filter(|m| m.prefecture == "東京都")
                    .collect();
                if tokyo.len() == 1 {
                    tokyo
                } else {
                    candidates.clone()
                }
            } else {
                candidates.clone()
            };
            best = Some(preferred[0]);
            ambiguous = preferred.len() > 1;
        }
        if let Some(m) = best {
            let tail = rest[m.name.len()..].trim_start_matches('・');
            let mut region = m.region(&display);
            if ambiguous && prefecture.is_none() {
                // Same name in several prefectures and nothing to tell them apart.
                region.prefecture = None;
                region.path = vec![m.name.clone()];
            }
            return match classify_tail(tail) {
                Tail::Whole => Some(region),
                Tail::Block(b) => {
                    region.kind = RegionKind::Block;
                    region.path.push(b);
                    Some(region)
                }
                Tail::Area(a) => {
                    region.kind = RegionKind::Area;
                    region.path.push(a);
                    Some(region)
                }
                Tail::Invalid => None,
            };
        }
        // 3. A 圏域 or block directly under the prefecture.
        match classify_tail(rest) {
            Tail::Area(a) => {
                let prefecture = prefecture.or_else(|| {
                    let listed: Vec<&Area> = self.areas.iter().filter(|x| x.name == a).collect();
                    (listed.len() == 1).then(|| listed[0].prefecture.clone())
                });
                let mut path: Vec<String> = prefecture.iter().cloned().collect();
                if let Some(listed) = self
                    .areas
                    .iter()
                    .find(|x| x.name == a && Some(&x.prefecture) == prefecture.as_ref())
                    && let Some(city) = &listed.within
                {
                    path.push(city.clone());
                }
                path.push(a);
                Some(Region {
                    name: display,
                    prefecture,
                    kind: RegionKind::Area,
                    path,
                })
            }
            Tail::Block(b) => {
                let p = prefecture?;
                Some(Region {
                    name: display,
                    prefecture: Some(p.clone()),
                    kind: RegionKind::Block,
                    path: vec![p, b],
                })
            }
            Tail::Whole | Tail::Invalid => None,
        }
    }

    /// Finds the regions named in a text, longest match first, left to right.
    /// `stems` also accepts prefecture names without 都/府/県 (「神奈川のピア活動」), which
    /// suits questions but not document bodies.
    pub fn find_mentions(&self, text: &str, stems: bool) -> Vec<RegionMention> {
        let (matcher, patterns) = if stems {
            (&self.stems_matcher, &self.stem_patterns)
        } else {
            (&self.names_matcher, &self.name_patterns)
        };
        matcher
            .find_iter(text)
            .filter_map(|m| {
                let regions = self.regions_named(&patterns[m.pattern().as_usize()], stems);
                (!regions.is_empty()).then(|| RegionMention {
                    start: m.start(),
                    end: m.end(),
                    regions,
                })
            })
            .collect()
    }

    /// Regions whose name is exactly `name` (prefecture, municipality, listed area).
    pub fn regions_named(&self, name: &str, stems: bool) -> Vec<Region> {
        let mut out = Vec::new();
        if self.is_prefecture(name) {
            out.push(Region {
                name: name.to_string(),
                prefecture: Some(name.to_string()),
                kind: RegionKind::Prefecture,
                path: vec![name.to_string()],
            });
            return out;
        }
        if stems
            && name.chars().count() >= 2
            && let Some(p) = self.prefecture_by_stem(name)
        {
            out.push(Region {
                name: p.to_string(),
                prefecture: Some(p.to_string()),
                kind: RegionKind::Prefecture,
                path: vec![p.to_string()],
            });
            return out;
        }
        let mut munis: Vec<&Municipality> = self.municipalities_named(name).collect();
        if munis.is_empty() && stems {
            // 「名古屋」「川崎」: a designated city is often named without 市.
            let city = format!("{name}市");
            if self
                .municipalities
                .iter()
                .any(|m| m.parent.as_deref() == Some(city.as_str()))
            {
                munis = self.municipalities_named(&city).collect();
            }
        }
        if !munis.is_empty() {
            let tokyo: Vec<&&Municipality> =
                munis.iter().filter(|m| m.prefecture == "東京都").collect();
            if munis.len() > 1 && tokyo.len() == 1 && name.ends_with('区') {
                out.push(tokyo[0].region(name));
            } else {
                out.extend(munis.iter().map(|m| m.region(name)));
            }
            return out;
        }
        out.extend(
            self.areas
                .iter()
                .filter(|a| a.name == name)
                .map(Area::region),
        );
        out
    }
}

enum Tail {
    /// Nothing more, or words meaning "the whole of it" (圏域, （市域全体）).
    Whole,
    Block(String),
    Area(String),
    Invalid,
}

fn classify_tail(tail: &str) -> Tail {
    let inner = tail
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or(tail)
        .trim_matches('・');
    if inner.is_empty()
        || matches!(
            inner,
            "圏域" | "市域全体" | "全域" | "全体" | "市全域" | "区全域"
        )
    {
        return Tail::Whole;
    }
    let plausible = |core: &str| {
        let n = core.chars().count();
        (1..=12).contains(&n)
            && !core.contains(['の', 'は', 'を', 'が', 'に', 'で', 'と', '(', ')'])
    };
    if let Some(core) = inner.strip_suffix("ブロック")
        && plausible(core)
    {
        return Tail::Block(inner.to_string());
    }
    if let Some(core) = inner.strip_suffix("圏域")
        && plausible(core)
    {
        return Tail::Area(inner.to_string());
    }
    Tail::Invalid
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn gazetteer() -> Gazetteer {
        let areas: toml::Value =
            toml::from_str(include_str!("../../../index/gazetteer/areas.toml")).unwrap();
        let areas: Vec<Area> = areas["areas"].clone().try_into().unwrap();
        Gazetteer::from_tsv(
            include_str!("../../../index/gazetteer/municipalities.tsv"),
            areas,
        )
        .unwrap()
    }

    fn parse(s: &str) -> (String, RegionKind, String) {
        let r = gazetteer()
            .parse_region(s)
            .unwrap_or_else(|| panic!("{s} not parsed"));
        (r.key(), r.kind, r.prefecture.unwrap_or_default())
    }

    #[test]
    fn banners_of_the_sample_corpus() {
        assert_eq!(
            parse("青森県・津軽圏域"),
            ("青森県/津軽圏域".into(), RegionKind::Area, "青森県".into())
        );
        assert_eq!(
            parse("茨城県 "),
            ("茨城県".into(), RegionKind::Prefecture, "茨城県".into())
        );
        assert_eq!(
            parse("千葉市圏域"),
            ("千葉県/千葉市".into(), RegionKind::City, "千葉県".into())
        );
        assert_eq!(
            parse("川崎市北部・中部圏域"),
            (
                "神奈川県/川崎市/北部・中部圏域".into(),
                RegionKind::Area,
                "神奈川県".into()
            )
        );
        assert_eq!(
            parse("神奈川県・相模原市相模原圏域  "),
            (
                "神奈川県/相模原市/相模原圏域".into(),
                RegionKind::Area,
                "神奈川県".into()
            )
        );
        assert_eq!(
            parse("愛知県・名古屋市（東ブロック） "),
            (
                "愛知県/名古屋市/東ブロック".into(),
                RegionKind::Block,
                "愛知県".into()
            )
        );
        assert_eq!(
            parse("愛知県・名古屋市（市域全体） "),
            ("愛知県/名古屋市".into(), RegionKind::City, "愛知県".into())
        );
        assert_eq!(
            parse("葛飾区"),
            ("東京都/葛飾区".into(), RegionKind::Ward, "東京都".into())
        );
        assert_eq!(
            parse("東京都 江戸川区  "),
            ("東京都/江戸川区".into(), RegionKind::Ward, "東京都".into())
        );
        assert_eq!(
            parse("東京都・台東区圏域  "),
            ("東京都/台東区".into(), RegionKind::Ward, "東京都".into())
        );
        assert_eq!(
            parse("石川県 南加賀圏域 "),
            (
                "石川県/南加賀圏域".into(),
                RegionKind::Area,
                "石川県".into()
            )
        );
        assert_eq!(
            parse("東京都世田谷区"),
            ("東京都/世田谷区".into(), RegionKind::Ward, "東京都".into())
        );
        assert_eq!(
            parse(" さいたま市"),
            (
                "埼玉県/さいたま市".into(),
                RegionKind::City,
                "埼玉県".into()
            )
        );
        assert_eq!(
            parse("名古屋市東区"),
            (
                "愛知県/名古屋市/東区".into(),
                RegionKind::Ward,
                "愛知県".into()
            )
        );
    }

    #[test]
    fn prose_is_not_a_region() {
        let g = gazetteer();
        for s in [
            "富山県・高岡圏域の取組み紹介等",
            "世田谷区における取組",
            "地域移行支援",
            "令和２年度の達成目標 取組状況",
            "・各市町における地域包括ケアシ",
            "",
            "圏域",
        ] {
            assert!(g.parse_region(s).is_none(), "{s} parsed as a region");
        }
    }

    #[test]
    fn areas_without_prefecture_come_from_the_list() {
        let r = gazetteer().parse_region("津軽圏域").unwrap();
        assert_eq!(r.key(), "青森県/津軽圏域");
        // Listed twice (鳥取県 and 静岡県): no prefecture can be given.
        let r = gazetteer().parse_region("西部圏域").unwrap();
        assert_eq!(r.prefecture, None);
    }

    #[test]
    fn mentions_in_questions() {
        let g = gazetteer();
        let m = g.find_mentions("神奈川のピアサポーター", true);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].regions[0].key(), "神奈川県");
        let m = g.find_mentions("東京都の取組", true);
        assert_eq!(m[0].regions[0].key(), "東京都");
        let m = g.find_mentions("西部圏域の課題", true);
        assert_eq!(m[0].regions.len(), 2);
        let m = g.find_mentions("熊本市第５期障がい福祉計画", false);
        assert_eq!(m[0].regions[0].key(), "熊本県/熊本市");
    }

    #[test]
    fn nesting_keys() {
        let r = gazetteer()
            .parse_region("愛知県・名古屋市（西ブロック）")
            .unwrap();
        assert_eq!(
            r.ancestor_keys(),
            vec!["愛知県", "愛知県/名古屋市", "愛知県/名古屋市/西ブロック"]
        );
        assert_eq!(r.short_name(), "名古屋市（西ブロック）");
    }
}
