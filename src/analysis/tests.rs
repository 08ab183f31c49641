use std::sync::{Arc, LazyLock};

use super::*;

static ANALYZER: LazyLock<JapaneseAnalyzer> =
    LazyLock::new(|| JapaneseAnalyzer::new(Lexicon::embedded()).expect("analyzer"));

fn terms(s: &str) -> Vec<String> {
    ANALYZER.terms(s)
}

#[test]
fn spelling_variants_of_shogai_meet() {
    let want = terms("障害者の地域移行支援");
    assert_eq!(want, vec!["障害", "者", "地域", "移行", "支援"]);
    assert_eq!(terms("障がい者の地域移行支援"), want);
    assert_eq!(terms("障碍者の地域移行支援"), want);
}

#[test]
fn width_and_numbers() {
    assert_eq!(terms("８０５０問題"), terms("8050問題"));
    assert!(terms("８０５０問題").contains(&"8050".to_string()));
    // PSW is written out (index/language.toml), so either spelling meets the other.
    assert_eq!(terms("ＰＳＷ"), terms("精神保健福祉士"));
}

#[test]
fn base_forms_and_okurigana() {
    let t = terms("取り組んでいる");
    assert_eq!(t, vec!["取組"]);
    assert_eq!(terms("取り組み"), vec!["取組"]);
    assert_eq!(terms("取組み"), vec!["取組"]);
    assert_eq!(terms("取組"), vec!["取組"]);
}

#[test]
fn katakana_long_vowel_stem() {
    assert_eq!(terms("ピアサポーター"), terms("ピアサポータ"));
    assert_eq!(terms("コーディネーター"), terms("コーディネータ"));
    // Short words keep their vowel: ケア is not ケ.
    assert_eq!(terms("ケア"), vec!["ケア"]);
}

#[test]
fn domain_words_stay_whole() {
    assert_eq!(terms("アウトリーチ支援"), vec!["アウトリーチ", "支援"]);
    assert_eq!(terms("圏域の協議の場"), vec!["圏域", "協議", "場"]);
    assert_eq!(terms("にも包括の構築"), vec!["にも包括", "構築"]);
    // The user dictionary does not break longer words apart.
    assert_eq!(terms("ピアノ"), vec!["ピアノ"]);
}

#[test]
fn particles_auxiliaries_and_symbols_are_dropped() {
    assert_eq!(
        terms("住まいの確保に取り組んでいます。"),
        vec!["住まい", "確保", "取組"]
    );
    assert!(terms("「」、。・（）").is_empty());
}

#[test]
fn offsets_point_into_the_authors_text() {
    let text = "精神障がい者ピアサポーター";
    let mut lattice = Lattice::default();
    let mut out = Vec::new();
    ANALYZER.morph(text, &mut lattice, &mut out);
    let shogai = out.iter().find(|t| t.text == "障害").unwrap();
    assert_eq!(&text[shogai.start..shogai.end], "障がい");
    let peer = out
        .iter()
        .find(|t| t.text.starts_with("ピアサポータ"))
        .unwrap();
    assert_eq!(&text[peer.start..peer.end], "ピアサポーター");
}

#[test]
fn stopped_words_leave_position_gaps() {
    let mut lattice = Lattice::default();
    let mut out = Vec::new();
    ANALYZER.morph("住まいの確保", &mut lattice, &mut out);
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].position - out[0].position, 2);
}

#[test]
fn bigrams_find_words_inside_compounds() {
    let mut out = Vec::new();
    ANALYZER.bigrams("ピアサポーター養成 ZOOM 8050", &mut out);
    let texts: Vec<&str> = out.iter().map(|t| t.text.as_str()).collect();
    assert!(texts.contains(&"ピア"));
    assert!(texts.contains(&"養成"));
    assert!(texts.contains(&"zoom"));
    assert!(texts.contains(&"8050"));
    let mut single = Vec::new();
    ANALYZER.bigrams("県", &mut single);
    assert_eq!(single.len(), 1);
}

#[test]
fn questions_lose_their_question_words() {
    let q: Vec<String> = ANALYZER
        .query_terms("どこの自治体がピアサポーターを養成していますか")
        .into_iter()
        .map(|t| t.text)
        .collect();
    assert_eq!(q, vec!["ピアサポータ", "養成"]);
}

#[test]
fn hostile_input_is_harmless() {
    for s in [
        "",
        "\u{0000}",
        "\"\"\":(^~)",
        &"あ".repeat(100_000),
        "🙂🙂",
        "\u{FFFF}\u{10FFFF}",
    ] {
        let _ = terms(s);
        let mut out = Vec::new();
        ANALYZER.bigrams(s, &mut out);
        for t in &out {
            assert!(t.start <= t.end && t.end <= s.len());
        }
    }
}

#[test]
fn shared_across_threads() {
    let analyzer = Arc::new(JapaneseAnalyzer::new(Lexicon::embedded()).unwrap());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let a = analyzer.clone();
            std::thread::spawn(move || a.terms("ピアサポーターの養成"))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), vec!["ピアサポータ", "養成"]);
    }
}

#[test]
fn question_frames_carry_no_words() {
    for frame in [
        "何をしましたか",
        "どんな形でやってる",
        "はどう違いますか",
        "を比較してほしい",
        "を比べると",
        "の違いは",
        "の中身",
        "って何ですか",
        "何名くらい",
    ] {
        let q: Vec<String> = ANALYZER
            .query_terms(frame)
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert!(q.is_empty(), "{frame}: {q:?}");
    }
}
