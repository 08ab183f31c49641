//! Snippets: the part of a passage worth showing, with the matched words marked.
//! Front ends decide how to mark them (bold in Discord, ANSI in a terminal).

use serde::Serialize;

/// A window of a passage with byte ranges (into `text`) to emphasize.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Snippet {
    pub text: String,
    pub highlights: Vec<(usize, usize)>,
}

/// Default snippet length: a few lines on a phone screen or in a terminal.
pub const SNIPPET_CHARS: usize = 160;

impl Snippet {
    /// The best window of at most `max_chars` characters: the one covering the most
    /// highlights, starting a little before the first of them. Newlines become spaces.
    pub fn make(text: &str, highlights: &[(usize, usize)], max_chars: usize) -> Snippet {
        let mut hl: Vec<(usize, usize)> = highlights
            .iter()
            .copied()
            .filter(|(s, e)| {
                s < e && *e <= text.len() && text.is_char_boundary(*s) && text.is_char_boundary(*e)
            })
            .collect();
        hl.sort();
        // Merge overlapping or touching ranges.
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (s, e) in hl {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        let bounds: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(text.len()))
            .collect();
        let total_chars = bounds.len() - 1;
        let char_at = |byte: usize| bounds.partition_point(|&b| b < byte);
        let lead = max_chars / 6;
        let (mut start_c, mut end_c) = (0usize, total_chars.min(max_chars));
        if total_chars > max_chars && !merged.is_empty() {
            let mut best = (0usize, usize::MAX, 0usize);
            for &(s, _) in &merged {
                let cs = char_at(s).saturating_sub(lead);
                let ce = (cs + max_chars).min(total_chars);
                let cs = ce.saturating_sub(max_chars);
                let covered = merged
                    .iter()
                    .filter(|(a, b)| char_at(*a) >= cs && char_at(*b) <= ce)
                    .count();
                if covered > best.0 || (covered == best.0 && cs < best.1) {
                    best = (covered, cs, ce);
                }
            }
            start_c = best.1;
            end_c = best.2;
        }
        let (sb, eb) = (bounds[start_c], bounds[end_c]);
        let mut out = String::new();
        let prefix = if start_c > 0 { "…" } else { "" };
        out.push_str(prefix);
        let body_start = out.len();
        out.push_str(&text[sb..eb].replace('\n', " "));
        if end_c < total_chars {
            out.push('…');
        }
        let highlights = merged
            .into_iter()
            .filter_map(|(s, e)| {
                let (s, e) = (s.max(sb), e.min(eb));
                (s < e).then(|| (s - sb + body_start, e - sb + body_start))
            })
            .collect();
        Snippet {
            text: out,
            highlights,
        }
    }

    /// The snippet with each highlight wrapped in `open` … `close`; `escape` is applied to
    /// the unhighlighted and highlighted text alike (e.g. Markdown escaping).
    pub fn marked(&self, open: &str, close: &str, escape: impl Fn(&str) -> String) -> String {
        let mut out = String::new();
        let mut pos = 0;
        for &(s, e) in &self.highlights {
            out.push_str(&escape(&self.text[pos..s]));
            out.push_str(open);
            out.push_str(&escape(&self.text[s..e]));
            out.push_str(close);
            pos = e;
        }
        out.push_str(&escape(&self.text[pos..]));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_whole() {
        let s = Snippet::make("ピアサポーターの養成", &[(0, "ピアサポーター".len())], 160);
        assert_eq!(s.text, "ピアサポーターの養成");
        assert_eq!(
            s.marked("**", "**", |t| t.to_string()),
            "**ピアサポーター**の養成"
        );
    }

    #[test]
    fn window_moves_to_the_matches() {
        let text = format!("{}ピア相談{}", "あ".repeat(300), "い".repeat(300));
        let start = text.find("ピア").unwrap();
        let s = Snippet::make(&text, &[(start, start + "ピア相談".len())], 100);
        assert!(s.text.starts_with('…') && s.text.ends_with('…'));
        assert!(s.marked("[", "]", |t| t.to_string()).contains("[ピア相談]"));
        assert!(s.text.chars().count() <= 102);
    }

    #[test]
    fn out_of_range_highlights_are_ignored() {
        let s = Snippet::make("abc", &[(1, 99), (2, 1)], 10);
        assert!(s.highlights.is_empty());
    }
}
