use nimo::domain::search::{corpus, lexicon::Lexicon};
fn main() {
    let lex = Lexicon::embedded();
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).unwrap();
        let doc = corpus::parse_bytes(&path, &bytes, &lex).unwrap();
        println!(
            "== {} [{}] {:?} title={} sheets={} passages={}",
            path,
            doc.form,
            doc.fiscal_year,
            doc.title,
            doc.sheets,
            doc.passages.len()
        );
        for w in &doc.warnings {
            println!("  ! {w}");
        }
        for p in &doc.passages {
            println!(
                "--- #{} {} | {} | {:?} | {:?}\n{}",
                p.ordinal, p.region.name, p.section, p.fiscal_year, p.topics, p.text
            );
        }
    }
}
