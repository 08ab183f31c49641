//! Text normalization shared by ingest, search and query understanding.
//!
//! Everything nimo compares is compared after NFKC (full-width digits and letters become
//! half-width, half-width katakana becomes full-width) and after folding the spelling
//! variants listed in `index/language.toml` (障がい → 障害 …). The analyzer needs to map
//! normalized positions back to the author's text for highlighting, so normalization can
//! also return an offset map.

use aho_corasick::{AhoCorasick, MatchKind};
use unicode_normalization::UnicodeNormalization;

/// A folded string plus, for every byte boundary of it, the byte offset in the original.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    pub text: String,
    /// `offsets[i]` is the original offset of normalized byte `i`; it has `text.len() + 1`
    /// entries so that an exclusive end maps too.
    pub offsets: Vec<usize>,
}

impl Normalized {
    /// Original byte range of a normalized byte range.
    pub fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        (self.offsets[start], self.offsets[end])
    }
}

/// Folds spelling variants after NFKC. Built once from the lexicon.
#[derive(Debug, Clone, Default)]
pub struct Normalizer {
    /// (from, to) pairs; the matcher finds the leftmost-longest `from` in one pass.
    variants: Vec<(String, String)>,
    matcher: Option<AhoCorasick>,
}

impl Normalizer {
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut variants: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(from, to)| (nfkc(&from), nfkc(&to)))
            .filter(|(from, _)| !from.is_empty())
            .collect();
        variants.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        variants.dedup_by(|a, b| a.0 == b.0);
        let matcher = (!variants.is_empty())
            .then(|| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(variants.iter().map(|(from, _)| from.as_str()))
                    .ok()
            })
            .flatten();
        Normalizer { variants, matcher }
    }

    /// NFKC + variant folding, without offsets.
    pub fn normalize(&self, text: &str) -> String {
        self.normalize_with_offsets(text).text
    }

    /// NFKC + variant folding, keeping a map back to `text`.
    pub fn normalize_with_offsets(&self, text: &str) -> Normalized {
        let nfkc = nfkc_with_offsets(text);
        let Some(matcher) = &self.matcher else {
            return nfkc;
        };
        let src = nfkc.text.as_str();
        let mut out = Normalized {
            text: String::with_capacity(src.len()),
            offsets: Vec::with_capacity(nfkc.offsets.len()),
        };
        let mut pos = 0;
        for m in matcher.find_iter(src) {
            out.text.push_str(&src[pos..m.start()]);
            out.offsets.extend_from_slice(&nfkc.offsets[pos..m.start()]);
            let to = &self.variants[m.pattern().as_usize()].1;
            // Every byte of the replacement points at the start of what it replaced.
            out.offsets
                .extend(std::iter::repeat_n(nfkc.offsets[m.start()], to.len()));
            out.text.push_str(to);
            pos = m.end();
        }
        out.text.push_str(&src[pos..]);
        out.offsets.extend_from_slice(&nfkc.offsets[pos..]);
        out
    }
}

/// Words a person wrote in hiragana that the documents write in katakana
/// (「あうとりーち」 → 「アウトリーチ」): wherever a run of hiragana, read as katakana,
/// spells one of `known` (katakana words of at least three characters), that part is
/// rewritten. Other hiragana is left alone.
pub fn katakana_known_words(text: &str, known: &[String]) -> String {
    let is_hira = |c: char| matches!(c, '\u{3041}'..='\u{3096}' | 'ー');
    let to_kata = |c: char| match c {
        '\u{3041}'..='\u{3096}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        _ => c,
    };
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !is_hira(chars[i]) || (i > 0 && is_hira(chars[i - 1])) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut end = i;
        while end < chars.len() && is_hira(chars[end]) {
            end += 1;
        }
        let run: Vec<char> = chars[i..end].iter().map(|&c| to_kata(c)).collect();
        let mut j = 0;
        while j < run.len() {
            let rest: String = run[j..].iter().collect();
            let best = known
                .iter()
                .filter(|w| w.chars().count() >= 3 && rest.starts_with(w.as_str()))
                .max_by_key(|w| w.len());
            match best {
                Some(w) => {
                    out.push_str(w);
                    j += w.chars().count();
                }
                None => {
                    out.push(chars[i + j]);
                    j += 1;
                }
            }
        }
        i = end;
    }
    out
}

/// NFKC of a string.
pub fn nfkc(text: &str) -> String {
    text.nfkc().collect()
}

/// NFKC one character at a time, so each output byte can point at the character it came
/// from; then recompose the voiced-sound marks that half-width katakana carries as
/// separate characters (ｶﾞ → ガ), which per-character NFKC would leave decomposed.
pub fn nfkc_with_offsets(text: &str) -> Normalized {
    let mut out = String::with_capacity(text.len());
    let mut offsets = Vec::with_capacity(text.len() + 1);
    let mut buf = String::new();
    for (start, ch) in text.char_indices() {
        if ch.is_ascii() {
            out.push(ch);
            offsets.push(start);
            continue;
        }
        // Kanji, hiragana and katakana (most of a Japanese text) are their own NFKC.
        if matches!(ch, '\u{4E00}'..='\u{9FFF}' | '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' | 'ー')
        {
            out.push(ch);
            offsets.extend(std::iter::repeat_n(start, ch.len_utf8()));
            continue;
        }
        buf.clear();
        buf.extend(std::iter::once(ch).nfkc());
        // A combining (semi-)voiced mark joins the previous character when it can.
        if let [mark] = buf.chars().collect::<Vec<_>>()[..]
            && (mark == '\u{3099}' || mark == '\u{309A}')
            && let Some(prev) = out.chars().last()
            && let Some(composed) = unicode_normalization::char::compose(prev, mark)
        {
            let prev_len = prev.len_utf8();
            let prev_start = offsets[out.len() - prev_len];
            out.truncate(out.len() - prev_len);
            offsets.truncate(offsets.len() - prev_len);
            out.push(composed);
            offsets.extend(std::iter::repeat_n(prev_start, composed.len_utf8()));
            continue;
        }
        for c in buf.chars() {
            out.push(c);
            offsets.extend(std::iter::repeat_n(start, c.len_utf8()));
        }
    }
    offsets.push(text.len());
    Normalized { text: out, offsets }
}

/// Cleans text that came from a user or a file: drops a BOM, turns CRLF/CR into LF and
/// removes control characters other than newline, tab and form feed (which marks a page).
pub fn clean_control(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\n' | '\t' | '\u{000C}' => out.push(c),
            c if c.is_control() => {}
            // Zero-width and bidi formatting characters hide text from matching.
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' => {}
            '\u{feff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Number of characters (not bytes): Discord and our own limits count characters.
pub fn char_len(text: &str) -> usize {
    text.chars().count()
}

/// The longest prefix of `text` with at most `max_chars` characters.
pub fn truncate_chars(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((idx, _)) => &text[..idx],
        None => text,
    }
}

/// Is this character part of Japanese script (kanji, kana, iteration marks, long vowel)?
pub fn is_japanese_char(c: char) -> bool {
    matches!(c,
        '\u{3041}'..='\u{309F}' // hiragana
        | '\u{30A0}'..='\u{30FF}' // katakana, including ー and ・
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}' // compatibility ideographs
        | '\u{3005}' | '\u{3006}' | '\u{303B}' // 々 〆 〻
        | '\u{31F0}'..='\u{31FF}' // katakana phonetic extensions
        | '\u{20000}'..='\u{2FA1F}')
        && c != '・'
}

/// Is `s` made only of katakana (and the long-vowel mark)?
pub fn is_katakana(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー' | '\u{30FD}' | '\u{30FE}'))
}

/// A title in quotation marks: 「…」, or 『…』 when it holds 「」 itself (「AD合同会議「事前課題」」
/// reads as 『AD合同会議「事前課題」』).
pub fn quoted(title: &str) -> String {
    if title.contains('「') {
        format!("『{title}』")
    } else {
        format!("「{title}」")
    }
}

#[cfg(test)]
mod kana_tests {
    use super::katakana_known_words;

    #[test]
    fn hiragana_spellings_of_known_words() {
        let known = vec!["アウトリーチ".to_string(), "ピアサポーター".to_string()];
        assert_eq!(
            katakana_known_words("あうとりーちやってるとこ", &known),
            "アウトリーチやってるとこ"
        );
        assert_eq!(
            katakana_known_words("世田谷のぴあさぽーたー", &known),
            "世田谷のピアサポーター"
        );
        assert_eq!(
            katakana_known_words("世田谷 ぴあさぽーたー", &known),
            "世田谷 ピアサポーター"
        );
        assert_eq!(katakana_known_words("ありますか", &known), "ありますか");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfkc_folds_width_and_keeps_offsets() {
        let n = nfkc_with_offsets("令和２年度ＡＢ");
        assert_eq!(n.text, "令和2年度AB");
        let idx = n.text.find('2').unwrap();
        let (s, e) = n.original_range(idx, idx + 1);
        assert_eq!(&"令和２年度ＡＢ"[s..e], "２");
        assert_eq!(n.offsets.len(), n.text.len() + 1);
    }

    #[test]
    fn half_width_katakana_voiced_marks_compose() {
        let n = nfkc_with_offsets("ｸﾞﾙｰﾌﾟﾎｰﾑ");
        assert_eq!(n.text, "グループホーム");
        assert_eq!(n.offsets.len(), n.text.len() + 1);
        let (s, e) = n.original_range(0, "グ".len());
        assert_eq!(&"ｸﾞﾙｰﾌﾟﾎｰﾑ"[s..e], "ｸﾞ");
    }

    #[test]
    fn variants_fold_and_map_back_to_the_authors_spelling() {
        let norm = Normalizer::new([("障がい".to_string(), "障害".to_string())]);
        let src = "精神障がい者の支援";
        let n = norm.normalize_with_offsets(src);
        assert_eq!(n.text, "精神障害者の支援");
        let start = n.text.find("障害").unwrap();
        let (s, e) = n.original_range(start, start + "障害".len());
        assert_eq!(&src[s..e], "障がい");
        let (s2, e2) = n.original_range(start, start + "障害者".len());
        assert_eq!(&src[s2..e2], "障がい者");
    }

    #[test]
    fn control_characters_are_removed_but_lines_kept() {
        assert_eq!(
            clean_control("\u{feff}a\r\nb\rc\u{0007}\u{200B}d\u{000C}e"),
            "a\nb\ncd\u{000C}e"
        );
    }

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate_chars("障害者支援", 2), "障害");
        assert_eq!(truncate_chars("ab", 5), "ab");
        assert_eq!(char_len("ピア"), 2);
    }
}
