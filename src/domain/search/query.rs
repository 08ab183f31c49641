//! Understanding a question: which region and year it is about, which topic, and what words
//! are left to search for. 「神奈川県のピアサポーターはどこですか」 becomes a search for
//! ピアサポーター within 神奈川県 (which includes 川崎市 and 相模原市).

use std::collections::BTreeSet;

use serde::Serialize;

use super::figures::FigureAsk;
use super::lexicon::Lexicon;
use super::region::{KEY_SEPARATOR, Region, RegionKind};
use crate::domain::era::{era_label, find_years};
use crate::domain::text::{char_len, clean_control, katakana_known_words, truncate_chars};

/// Questions longer than this are cut (with a note): nobody types more, and pasted
/// documents should not stall the search.
pub const MAX_QUESTION_CHARS: usize = 300;
/// Results per page, and the most anyone may ask for at once.
pub const DEFAULT_LIMIT: usize = 5;
pub const MAX_LIMIT: usize = 50;
/// How far into the results a page may start: nobody reads past this, and a search asked
/// for a page far beyond would only make the index hold that many hits.
pub const MAX_OFFSET: usize = 10_000;

/// A region that has passages in the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownRegion {
    pub key: String,
    pub name: String,
    pub prefecture: Option<String>,
    pub kind: RegionKind,
    pub passages: usize,
}

/// The regions in the index, for resolving names people type.
#[derive(Debug, Clone, Default)]
pub struct RegionDirectory {
    pub regions: Vec<KnownRegion>,
    /// Names to look for in questions, each with the keys it may mean, and a matcher over
    /// them (built once; questions are matched in one pass).
    names: Vec<(String, Vec<String>)>,
    matcher: Option<aho_corasick::AhoCorasick>,
}

impl RegionDirectory {
    pub fn new(regions: Vec<KnownRegion>, lex: &Lexicon) -> RegionDirectory {
        let mut by_name: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
        for k in &regions {
            by_name
                .entry(lex.normalizer.normalize(&k.name).replace(' ', ""))
                .or_default()
                .insert(k.key.clone());
            // The last path segment when it is distinctive (「津軽圏域」, 「北部・中部圏域」).
            if let Some(last) = k.key.rsplit(KEY_SEPARATOR).next()
                && char_len(last) >= 3
            {
                by_name
                    .entry(last.to_string())
                    .or_default()
                    .insert(k.key.clone());
            }
        }
        by_name.retain(|name, _| !name.is_empty());
        let names: Vec<(String, Vec<String>)> = by_name
            .into_iter()
            .map(|(n, keys)| (n, keys.into_iter().collect()))
            .collect();
        let matcher = aho_corasick::AhoCorasick::new(names.iter().map(|(n, _)| n.as_str())).ok();
        RegionDirectory {
            regions,
            names,
            matcher,
        }
    }

    /// Keys of the regions `typed` may mean, outermost match first; empty if none.
    pub fn resolve(&self, typed: &str, lex: &Lexicon) -> Vec<String> {
        let typed = lex.normalizer.normalize(typed.trim());
        let compact: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return Vec::new();
        }
        // A key, as autocomplete hands it back (「愛知県/名古屋市」).
        if self
            .regions
            .iter()
            .any(|k| k.key == compact || k.key.starts_with(&format!("{compact}{KEY_SEPARATOR}")))
        {
            return vec![compact];
        }
        if let Some(r) = lex.gazetteer.parse_region(&compact)
            && !r.path.is_empty()
            && (r.prefecture.is_some() || r.kind == RegionKind::Area)
        {
            // An area whose prefecture is ambiguous (西部圏域) matches all known ones.
            if r.prefecture.is_none() {
                let last = r.path.last().cloned().unwrap_or_default();
                return self
                    .keys_where(|k| k.key.rsplit(KEY_SEPARATOR).next() == Some(last.as_str()));
            }
            return vec![r.key()];
        }
        if let Some(p) = lex.gazetteer.prefecture_by_stem(&compact) {
            return vec![p.to_string()];
        }
        let exact = self.keys_where(|k| {
            let name = lex.normalizer.normalize(&k.name).replace(' ', "");
            name == compact || k.key.rsplit(KEY_SEPARATOR).next() == Some(compact.as_str())
        });
        if !exact.is_empty() {
            return exact;
        }
        let named = lex.gazetteer.regions_named(&compact, true);
        if !named.is_empty() {
            return named.iter().map(Region::key).collect();
        }
        // A part of a name: 「津軽」, 「名古屋」, 「相模原」.
        if char_len(&compact) >= 2 {
            let partial = self.keys_where(|k| {
                lex.normalizer.normalize(&k.name).contains(&compact) || k.key.contains(&compact)
            });
            return outermost(partial);
        }
        Vec::new()
    }

    fn keys_where(&self, pred: impl Fn(&KnownRegion) -> bool) -> Vec<String> {
        let set: BTreeSet<String> = self
            .regions
            .iter()
            .filter(|k| pred(k))
            .map(|k| k.key.clone())
            .collect();
        set.into_iter().collect()
    }

    pub fn get(&self, key: &str) -> Option<&KnownRegion> {
        self.regions.iter().find(|k| k.key == key)
    }

    /// Every region with passages, and every place containing one (a prefecture, a city
    /// whose blocks have passages), with the passages inside it.
    pub fn places(&self, lex: &Lexicon) -> Vec<KnownRegion> {
        let mut places: std::collections::BTreeMap<String, KnownRegion> = Default::default();
        for k in &self.regions {
            let parts: Vec<&str> = k.key.split(KEY_SEPARATOR).collect();
            for n in 1..=parts.len() {
                let key = parts[..n].join(&KEY_SEPARATOR.to_string());
                let entry = places.entry(key.clone()).or_insert_with(|| {
                    if n == parts.len() {
                        KnownRegion {
                            passages: 0,
                            ..k.clone()
                        }
                    } else {
                        let kind = if n == 1 && lex.gazetteer.is_prefecture(parts[0]) {
                            RegionKind::Prefecture
                        } else {
                            RegionKind::City
                        };
                        KnownRegion {
                            key: key.clone(),
                            name: parts[n - 1].to_string(),
                            prefecture: k.prefecture.clone(),
                            kind,
                            passages: 0,
                        }
                    }
                });
                if n == parts.len() {
                    // The region itself: keep its own name even if a container came first.
                    entry.name = k.name.clone();
                    entry.kind = k.kind;
                }
                entry.passages += k.passages;
            }
        }
        let order: std::collections::HashMap<&str, usize> = lex
            .gazetteer
            .prefectures()
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str(), i))
            .collect();
        let mut out: Vec<KnownRegion> = places.into_values().collect();
        out.sort_by_key(|r| {
            let pref = r.key.split(KEY_SEPARATOR).next().unwrap_or("");
            (
                order.get(pref).copied().unwrap_or(usize::MAX),
                r.key.clone(),
            )
        });
        out
    }

    /// Places matching what someone is typing, best first: names starting with it, then
    /// names containing it. With nothing typed, prefectures first.
    pub fn suggest(&self, typed: &str, lex: &Lexicon, max: usize) -> Vec<KnownRegion> {
        let typed: String = lex
            .normalizer
            .normalize(typed)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let places = self.places(lex);
        let mut scored: Vec<(u8, usize, KnownRegion)> = places
            .into_iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let name: String = lex
                    .normalizer
                    .normalize(&p.name)
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                let last = p.key.rsplit(KEY_SEPARATOR).next().unwrap_or("").to_string();
                let score = if typed.is_empty() {
                    if p.kind == RegionKind::Prefecture {
                        0
                    } else {
                        1
                    }
                } else if name.starts_with(&typed) || last.starts_with(&typed) {
                    0
                } else if name.contains(&typed) || p.key.contains(&typed) {
                    1
                } else {
                    return None;
                };
                Some((score, i, p))
            })
            .collect();
        scored.sort_by_key(|(s, i, _)| (*s, *i));
        scored.into_iter().take(max).map(|(_, _, p)| p).collect()
    }
}

/// Drops keys nested in another key of the set (filtering on the outer one finds them).
fn outermost(keys: Vec<String>) -> Vec<String> {
    keys.iter()
        .filter(|k| {
            !keys.iter().any(|o| {
                o != *k && k.starts_with(o.as_str()) && k[o.len()..].starts_with(KEY_SEPARATOR)
            })
        })
        .cloned()
        .collect()
}

/// What the person asked, and how. Serializable: a "next page" button stores it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Ask {
    pub question: String,
    pub region: Option<String>,
    pub topic: Option<String>,
    pub year: Option<i32>,
    pub limit: Option<usize>,
    pub offset: usize,
}

/// A topic named in the question and the other words for it, to widen the search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expansion {
    /// The topic's id; empty for a way of saying something that is no topic (negation).
    pub topic: String,
    /// The other words for it (searched as well).
    pub terms: Vec<String>,
    /// The words of the question that named it (normalized): a passage that speaks of
    /// the topic in other words still answers that part of the question.
    pub found: Vec<String>,
}

/// A question made ready for the index.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct SearchRequest {
    /// The words to search for (normalized); empty lists the filtered passages.
    pub text: String,
    /// Restrict to these regions and everything inside them (any of them).
    pub regions: Vec<String>,
    pub fiscal_year: Option<i32>,
    pub topic: Option<String>,
    pub expansions: Vec<Expansion>,
    pub limit: usize,
    pub offset: usize,
    /// At most this many passages per region on a page, so one region cannot fill it.
    pub per_region: Option<usize>,
    /// The question asks how many (「何名」「何件」): figures near the matched words are
    /// shown and marked.
    #[serde(default)]
    pub numbers: bool,
}

/// The understanding of a question, with what to tell the person about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Understood {
    pub request: SearchRequest,
    /// How the region was named, for messages (「神奈川県」).
    pub region_label: Option<String>,
    /// True when the region came from the question, not an explicit option.
    pub region_from_question: bool,
    /// When the question names two places or more (「世田谷区と文京区の違い」): each of
    /// them, to answer side by side. Empty otherwise.
    pub places: Vec<Place>,
    /// True when the year came from the question: it may be dropped if nothing matches.
    pub year_from_question: bool,
    pub topic_label: Option<String>,
    /// What the question asks of figures (a value, a ranking, a threshold), if anything.
    pub figures: Option<FigureAsk>,
    /// Notes for the person (in Japanese): a cut question, an unknown option.
    pub notes: Vec<String>,
}

/// A place named in a question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    /// As written (「世田谷区」).
    pub label: String,
    /// The region keys it means.
    pub keys: Vec<String>,
}

/// Why a question cannot be searched at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryProblem {
    #[error(
        "質問が空です。調べたい地域やテーマを入力してください（例: 「ピアサポーターの養成」「世田谷区の取組」）。"
    )]
    Empty,
    #[error("「{typed}」という地域は見つかりませんでした。")]
    UnknownRegion {
        typed: String,
        suggestions: Vec<String>,
    },
    #[error("「{typed}」というテーマは見つかりませんでした。")]
    UnknownTopic {
        typed: String,
        suggestions: Vec<String>,
    },
}

/// Turns what a person asked into a search request.
pub fn understand(
    ask: &Ask,
    lex: &Lexicon,
    directory: &RegionDirectory,
) -> Result<Understood, QueryProblem> {
    let mut notes = Vec::new();
    let cleaned: String = clean_control(&ask.question).replace(['\n', '\t', '\u{000C}'], " ");
    let mut question = cleaned.trim().to_string();
    if char_len(&question) > MAX_QUESTION_CHARS {
        question = truncate_chars(&question, MAX_QUESTION_CHARS).to_string();
        notes.push(format!(
            "質問が長いため、最初の{MAX_QUESTION_CHARS}文字で検索しました。"
        ));
    }
    let mut text = katakana_known_words(&lex.normalizer.normalize(&question), &lex.katakana_words);

    // Region: an explicit option wins; otherwise the places named in the question.
    let mut regions = Vec::new();
    let mut places: Vec<Place> = Vec::new();
    let mut region_label = None;
    let mut region_from_question = false;
    if let Some(typed) = ask
        .region
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        regions = directory.resolve(typed, lex);
        if regions.is_empty() {
            return Err(QueryProblem::UnknownRegion {
                typed: typed.to_string(),
                suggestions: suggest_regions(typed, directory, lex),
            });
        }
        region_label = Some(typed.to_string());
    } else {
        let found = places_in_question(&text, lex, directory);
        for (span, keys) in &found {
            places.push(Place {
                label: text[span.0..span.1].to_string(),
                keys: keys.clone(),
            });
        }
        for (span, _) in found.iter().rev() {
            text.replace_range(span.0..span.1, " ");
        }
        if !places.is_empty() {
            region_label = Some(
                places
                    .iter()
                    .map(|p| p.label.as_str())
                    .collect::<Vec<_>>()
                    .join("・"),
            );
            regions = places
                .iter()
                .flat_map(|p| p.keys.iter().cloned())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            region_from_question = true;
        }
        if places.len() < 2 {
            places.clear();
        }
    }

    // Year: an explicit option, else the first year named in the question.
    let mut fiscal_year = ask.year;
    let mut year_from_question = false;
    let years = find_years(&text);
    if let Some(first) = years.first() {
        if fiscal_year.is_none() {
            fiscal_year = Some(first.fiscal_year);
            year_from_question = true;
        }
        for m in years.iter().rev() {
            text.replace_range(m.span.clone(), " ");
        }
    }

    // Topic: an explicit option filters; topics named in the question widen the search.
    let mut topic = None;
    let mut topic_label = None;
    if let Some(typed) = ask
        .topic
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match lex.taxonomy.resolve(typed, &lex.normalizer) {
            Some(t) => {
                topic = Some(t.id.clone());
                topic_label = Some(t.name.clone());
            }
            None => {
                return Err(QueryProblem::UnknownTopic {
                    typed: typed.to_string(),
                    suggestions: lex
                        .taxonomy
                        .topics()
                        .iter()
                        .map(|t| t.name.clone())
                        .collect(),
                });
            }
        }
    }

    let figures = lex.figures.question(&text);
    let numbers = lex.figures.asks_quantity(&text);
    let mut text = strip_frames(&text, lex);
    if !text.chars().any(char::is_alphanumeric) {
        // Only symbols or punctuation: nothing to search for.
        text.clear();
    }
    let mut expansions: Vec<Expansion> = lex
        .taxonomy
        .mentioned_in(&text)
        .into_iter()
        .map(|(t, found)| Expansion {
            topic: t.id.clone(),
            found: found.clone(),
            terms: lex
                .taxonomy
                .synonyms_of(&t.id)
                .iter()
                .filter(|s| !found.contains(s) && !text.contains(s.as_str()))
                .cloned()
                .collect(),
        })
        .collect();
    // 「まだ設置していない」: met by 未設置, なし, ありません … as well.
    if let Some(cue) = lex.negation_cue.as_ref().and_then(|re| re.find(&text)) {
        expansions.push(Expansion {
            topic: String::new(),
            found: vec![cue.as_str().to_string()],
            terms: lex
                .negation_words
                .iter()
                .filter(|w| w.as_str() != cue.as_str())
                .cloned()
                .collect(),
        });
    }

    if text.is_empty() && regions.is_empty() && topic.is_none() && fiscal_year.is_none() {
        return Err(QueryProblem::Empty);
    }
    let limit = ask.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    if ask.offset > MAX_OFFSET {
        notes.push(format!(
            "{}件目より先は表示できません。条件を加えて絞り込んでください。",
            MAX_OFFSET
        ));
    }
    if ask.limit.is_some_and(|l| l > MAX_LIMIT) {
        notes.push(format!("一度に表示できるのは{MAX_LIMIT}件までです。"));
    }
    let per_region = (regions.is_empty() && !text.is_empty()).then_some(2);
    Ok(Understood {
        request: SearchRequest {
            text,
            regions,
            fiscal_year,
            topic,
            expansions,
            limit,
            offset: ask.offset.min(MAX_OFFSET),
            per_region,
            numbers,
        },
        region_label,
        region_from_question,
        places,
        year_from_question,
        topic_label,
        figures,
        notes,
    })
}

/// The places named in the question, in the order named: the longest names first, each a
/// region in the index or any place the gazetteer knows, together with the places
/// containing it written right before it (「愛知県名古屋市東ブロック」). Each with its byte
/// span and region keys.
fn places_in_question(
    text: &str,
    lex: &Lexicon,
    directory: &RegionDirectory,
) -> Vec<((usize, usize), Vec<String>)> {
    let mut candidates: Vec<((usize, usize), Vec<String>)> = Vec::new();
    if let Some(matcher) = &directory.matcher {
        for m in matcher.find_overlapping_iter(text) {
            candidates.push((
                (m.start(), m.end()),
                directory.names[m.pattern().as_usize()].1.clone(),
            ));
        }
    }
    for m in lex.gazetteer.find_mentions(text, true) {
        let keys: Vec<String> = m
            .regions
            .iter()
            .flat_map(|r| {
                if r.prefecture.is_none() {
                    // An area in several prefectures: every known region of that name.
                    let last = r.path.last().cloned().unwrap_or_default();
                    directory
                        .regions
                        .iter()
                        .filter(|k| k.key.rsplit(KEY_SEPARATOR).next() == Some(last.as_str()))
                        .map(|k| k.key.clone())
                        .collect::<Vec<_>>()
                } else {
                    vec![r.key()]
                }
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !keys.is_empty() {
            candidates.push(((m.start, m.end), keys));
        }
    }
    // Longest first; a name inside a longer one is part of it.
    let mut ranked = candidates.clone();
    ranked.sort_by(|a, b| {
        (b.0.1 - b.0.0)
            .cmp(&(a.0.1 - a.0.0))
            .then(a.0.0.cmp(&b.0.0))
    });
    let mut chosen: Vec<((usize, usize), Vec<String>)> = Vec::new();
    for (span, keys) in ranked {
        if chosen.iter().any(|((s, e), _)| span.0 < *e && *s < span.1) {
            continue;
        }
        chosen.push((span, keys));
    }
    chosen.sort_by_key(|(span, _)| span.0);
    // Take in the containing places written just before (「名古屋市」 before 「東ブロック」),
    // and narrow an ambiguous name by a place named before it (「鳥取の西部圏域」).
    let mut out: Vec<((usize, usize), Vec<String>)> = Vec::new();
    for (mut span, mut keys) in chosen {
        if let Some(((s, _), outer)) = out.last() {
            let before = text[..span.0].trim_end_matches(['・', ' ', 'の']);
            let inside: Vec<String> = keys
                .iter()
                .filter(|k| outer.iter().any(|o| k.starts_with(o.as_str()) && *k != o))
                .cloned()
                .collect();
            if before.len() <= out.last().map(|x| x.0.1).unwrap_or(0) && !inside.is_empty() {
                span.0 = *s;
                keys = inside;
                out.pop();
            }
        }
        out.push((span, keys));
    }
    out
}

/// Removes the frame of a question (「…に取り組んでいる圏域はどこですか」) and leaves its subject.
pub fn strip_frames(text: &str, lex: &Lexicon) -> String {
    let mut t = text.split_whitespace().collect::<Vec<_>>().join(" ");
    loop {
        let before = t.clone();
        t = t
            .trim_end_matches(|c: char| "?？。.!！、, ・…〜~".contains(c) || c.is_whitespace())
            .to_string();
        for re in &lex.trailing_frames {
            t = re.replace(&t, "").trim_end().to_string();
        }
        for re in &lex.leading_frames {
            t = re.replace(&t, "").trim_start().to_string();
        }
        if t == before {
            return t;
        }
    }
}

/// Region names close to what was typed, for a "did you mean" message.
pub fn suggest_regions(typed: &str, directory: &RegionDirectory, lex: &Lexicon) -> Vec<String> {
    let typed = lex.normalizer.normalize(typed);
    let chars: BTreeSet<char> = typed.chars().filter(|c| !c.is_whitespace()).collect();
    let mut scored: Vec<(usize, &KnownRegion)> = directory
        .regions
        .iter()
        .map(|k| (k.name.chars().filter(|c| chars.contains(c)).count(), k))
        .filter(|(score, _)| *score >= 1)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.name.cmp(&b.1.name)));
    scored
        .into_iter()
        .take(5)
        .map(|(_, k)| k.name.clone())
        .collect()
}

/// A human description of the filters, for result headers: 「神奈川県・令和2年度」.
pub fn describe_filters(u: &Understood, lex: &Lexicon) -> String {
    let mut parts = Vec::new();
    if let Some(r) = &u.region_label {
        parts.push(r.clone());
    }
    if let Some(y) = u.request.fiscal_year {
        parts.push(era_label(y));
    }
    if let Some(t) = &u.request.topic
        && let Some(topic) = lex.taxonomy.get(t)
    {
        parts.push(format!("テーマ: {}", topic.name));
    }
    parts.join("・")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> RegionDirectory {
        let lex = Lexicon::embedded();
        let mk = |written: &str| {
            let r = lex.gazetteer.parse_region(written).unwrap();
            KnownRegion {
                key: r.key(),
                name: r.name.clone(),
                prefecture: r.prefecture.clone(),
                kind: r.kind,
                passages: 3,
            }
        };
        RegionDirectory::new(
            vec![
                mk("青森県・津軽圏域"),
                mk("神奈川県・相模原市相模原圏域"),
                mk("川崎市北部・中部圏域"),
                mk("鳥取県・西部圏域"),
                mk("静岡県・西部圏域"),
                mk("愛知県・名古屋市（東ブロック）"),
                mk("東京都世田谷区"),
            ],
            &lex,
        )
    }

    fn ask(q: &str) -> Understood {
        let lex = Lexicon::embedded();
        understand(
            &Ask {
                question: q.into(),
                ..Default::default()
            },
            &lex,
            &directory(),
        )
        .unwrap()
    }

    #[test]
    fn region_in_the_question_becomes_a_filter() {
        let u = ask("神奈川県のピアサポーター");
        assert_eq!(u.request.regions, vec!["神奈川県"]);
        assert_eq!(u.request.text, "ピアサポーター");
        let u = ask("世田谷区の取組は？");
        assert_eq!(u.request.regions, vec!["東京都/世田谷区"]);
        assert_eq!(u.request.text, "");
        let u = ask("津軽圏域の課題");
        assert_eq!(u.request.regions, vec!["青森県/津軽圏域"]);
        let u = ask("西部圏域でピアサポーターを養成している？");
        assert_eq!(u.request.regions.len(), 2);
    }

    #[test]
    fn question_frames_do_not_pollute_the_query() {
        assert_eq!(
            ask("住まいの確保に取り組んでいる圏域はどこですか？")
                .request
                .text,
            "住まいの確保"
        );
        assert_eq!(
            ask("ピアサポーターを養成している自治体は？").request.text,
            "ピアサポーターを養成"
        );
        assert_eq!(
            ask("アウトリーチについて教えてください").request.text,
            "アウトリーチ"
        );
        assert_eq!(
            ask("8050問題に取り組んでいるところはありますか")
                .request
                .text,
            "8050問題"
        );
    }

    #[test]
    fn years_become_filters() {
        let u = ask("令和３年度の協議の場");
        assert_eq!(u.request.fiscal_year, Some(2021));
        assert!(u.year_from_question);
        assert_eq!(u.request.text, "協議の場");
        assert_eq!(ask("2021年度 普及啓発").request.fiscal_year, Some(2021));
    }

    #[test]
    fn topic_words_are_expanded() {
        let u = ask("住宅確保");
        let e = &u.request.expansions;
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].topic, "sumai");
        assert!(e[0].terms.contains(&"住まいの確保".to_string()));
        assert!(e[0].terms.contains(&"居住支援".to_string()));
    }

    #[test]
    fn explicit_options() {
        let lex = Lexicon::embedded();
        let dir = directory();
        let u = understand(
            &Ask {
                question: "".into(),
                region: Some("津軽".into()),
                ..Default::default()
            },
            &lex,
            &dir,
        )
        .unwrap();
        assert_eq!(u.request.regions, vec!["青森県/津軽圏域"]);
        let u = understand(
            &Ask {
                question: "".into(),
                region: Some("東京都".into()),
                ..Default::default()
            },
            &lex,
            &dir,
        )
        .unwrap();
        assert_eq!(u.request.regions, vec!["東京都"]);
        let u = understand(
            &Ask {
                question: "".into(),
                region: Some("名古屋".into()),
                ..Default::default()
            },
            &lex,
            &dir,
        )
        .unwrap();
        assert_eq!(u.request.regions, vec!["愛知県/名古屋市"]);
        let err = understand(
            &Ask {
                question: "研修".into(),
                region: Some("アトランティス".into()),
                ..Default::default()
            },
            &lex,
            &dir,
        )
        .unwrap_err();
        assert!(matches!(err, QueryProblem::UnknownRegion { .. }));
        let err = understand(
            &Ask {
                question: "研修".into(),
                topic: Some("宇宙開発".into()),
                ..Default::default()
            },
            &lex,
            &dir,
        )
        .unwrap_err();
        assert!(matches!(err, QueryProblem::UnknownTopic { .. }));
        let u = understand(
            &Ask {
                question: "".into(),
                topic: Some("ピア".into()),
                ..Default::default()
            },
            &lex,
            &dir,
        )
        .unwrap();
        assert_eq!(u.request.topic.as_deref(), Some("peer"));
    }

    #[test]
    fn places_and_suggestions_for_autocomplete() {
        let lex = Lexicon::embedded();
        let dir = directory();
        let places = dir.places(&lex);
        let keys: Vec<&str> = places.iter().map(|p| p.key.as_str()).collect();
        assert!(keys.contains(&"神奈川県"));
        assert!(keys.contains(&"愛知県/名古屋市"));
        let kanagawa = places.iter().find(|p| p.key == "神奈川県").unwrap();
        assert_eq!(kanagawa.passages, 6);
        assert_eq!(kanagawa.kind, RegionKind::Prefecture);
        let s = dir.suggest("神奈", &lex, 25);
        assert_eq!(s[0].key, "神奈川県");
        let s = dir.suggest("ブロック", &lex, 25);
        assert_eq!(s.len(), 1);
        let s = dir.suggest("", &lex, 3);
        assert!(s.iter().all(|p| p.kind == RegionKind::Prefecture));
        assert!(dir.suggest("存在しない", &lex, 25).is_empty());
        // Keys handed back by autocomplete resolve to themselves.
        assert_eq!(
            dir.resolve("愛知県/名古屋市", &lex),
            vec!["愛知県/名古屋市"]
        );
    }

    #[test]
    fn asks_survive_a_round_trip_through_json() {
        let a = Ask {
            question: "ピア".into(),
            region: Some("東京都".into()),
            year: Some(2021),
            limit: Some(5),
            offset: 10,
            topic: None,
        };
        let back: Ask = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(a, back);
    }

    #[test]
    fn bad_questions_never_panic() {
        let lex = Lexicon::embedded();
        let dir = directory();
        for q in [
            "",
            "   ",
            "？？？",
            "\u{0000}\u{0007}",
            "\"\"\"",
            "a:b(c)^2~",
            "(((((",
            "東京都\n\n\t",
        ] {
            let _ = understand(
                &Ask {
                    question: q.into(),
                    ..Default::default()
                },
                &lex,
                &dir,
            );
        }
        let long = "ピア".repeat(5000);
        let u = understand(
            &Ask {
                question: long,
                ..Default::default()
            },
            &lex,
            &dir,
        )
        .unwrap();
        assert!(char_len(&u.request.text) <= MAX_QUESTION_CHARS);
        assert_eq!(u.notes.len(), 1);
        assert_eq!(
            understand(
                &Ask {
                    question: "  ？ ".into(),
                    ..Default::default()
                },
                &lex,
                &dir
            )
            .unwrap_err(),
            QueryProblem::Empty
        );
    }
}
