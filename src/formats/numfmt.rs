//! Rendering a cell value as the sheet shows it, from its number format code.
//!
//! Covers what Japanese forms use: General, 0 / 0.0 / #,##0 / #,##0.00, percentages,
//! literal prefixes and suffixes ("人", ¥, △ for negatives), sections (positive;negative;
//! zero), dates and times including the Japanese era formats (ggge"年"m"月"d"日" → 令和3年4月1日,
//! ge.m.d → R3.4.1) and Japanese Excel's built-in formats 27–58. Not covered (rendered as
//! General): fractions, scientific notation, [DBNum] kanji digits, text sections.

/// Japanese Excel's built-in date formats (ids 14, 22, 27–36, 50–58), as ja-JP Excel shows
/// them; calamine reports their code as "General".
pub(crate) fn builtin_ja(id: u32) -> Option<&'static str> {
    Some(match id {
        14 => "yyyy/m/d",
        22 => "yyyy/m/d h:mm",
        27 | 36 | 50 | 57 => "[$-411]ge.m.d",
        28 | 29 | 51 | 54 | 58 => "[$-411]ggge\"年\"m\"月\"d\"日\"",
        30 => "m/d/yy",
        31 => "yyyy\"年\"m\"月\"d\"日\"",
        32 => "h\"時\"mm\"分\"",
        33 => "h\"時\"mm\"分\"ss\"秒\"",
        34 | 52 | 55 => "yyyy\"年\"m\"月\"",
        35 | 53 | 56 => "m\"月\"d\"日\"",
        _ => return None,
    })
}

/// General: integers without ".0", other numbers with up to 10 decimals and no float noise.
pub(crate) fn general(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    if v.abs() >= 1e15 || v.abs() < 1e-9 {
        return format!("{v}");
    }
    // 15 significant digits, then trim: 0.1+0.2 → 0.3
    let digits = 14 - v.abs().log10().floor() as i32;
    let s = format!("{:.*}", digits.clamp(0, 15) as usize, v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// Splits a format code into sections at `;` outside quotes and brackets.
fn sections(code: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut quote, mut bracket, mut escape) = (false, false, false);
    let mut start = 0;
    for (i, c) in code.char_indices() {
        if escape {
            escape = false;
            continue;
        }
        match c {
            '\\' if !quote => escape = true,
            '"' => quote = !quote,
            '[' if !quote => bracket = true,
            ']' if !quote => bracket = false,
            ';' if !quote && !bracket => {
                out.push(&code[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&code[start..]);
    out
}

/// A number with its format code.
pub(crate) fn format_number(v: f64, code: &str) -> String {
    let code = code.trim();
    if code.is_empty() || code.eq_ignore_ascii_case("General") || code == "@" {
        return general(v);
    }
    let secs = sections(code);
    let (sec, value) = if v < 0.0 && secs.len() >= 2 && !secs[1].is_empty() {
        (secs[1], -v) // the negative section writes its own sign (-, △, ( ))
    } else if v == 0.0 && secs.len() >= 3 && !secs[2].is_empty() {
        (secs[2], v)
    } else {
        (secs[0], v)
    };
    render_number(value, sec).unwrap_or_else(|| general(v))
}

fn render_number(v: f64, sec: &str) -> Option<String> {
    let mut prefix = String::new();
    let mut suffix = String::new();
    let mut int_zeros = 0usize;
    let mut decimals = 0usize;
    let mut min_decimals = 0usize;
    let mut thousands = false;
    let mut percent = false;
    let mut in_number = false;
    let mut after_dot = false;
    let mut seen_number = false;
    let mut chars = sec.chars().peekable();
    let push = |s: &str, seen: bool, prefix: &mut String, suffix: &mut String| {
        if seen {
            suffix.push_str(s)
        } else {
            prefix.push_str(s)
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let lit = until(&mut chars, '"');
                push(&lit, seen_number, &mut prefix, &mut suffix);
            }
            '\\' => {
                if let Some(d) = chars.next() {
                    push(&d.to_string(), seen_number, &mut prefix, &mut suffix);
                }
            }
            '_' => {
                chars.next(); // width of the next char: nothing visible
            }
            '*' => {
                chars.next(); // fill character
            }
            '[' => {
                let inner = until(&mut chars, ']');
                // [$¥-411] → ¥ ; colours, conditions and locales show nothing
                if let Some(cur) = inner.strip_prefix('$') {
                    let sym = cur.split('-').next().unwrap_or("");
                    push(sym, seen_number, &mut prefix, &mut suffix);
                }
            }
            '0' | '#' | '?' => {
                in_number = true;
                seen_number = true;
                if after_dot {
                    decimals += 1;
                    if c == '0' {
                        min_decimals += 1;
                    }
                } else if c == '0' {
                    int_zeros += 1;
                }
            }
            '.' if in_number || chars.peek().is_some_and(|d| matches!(d, '0' | '#' | '?')) => {
                after_dot = true;
                in_number = true;
                seen_number = true;
            }
            ',' if in_number => {
                if !after_dot && chars.peek().is_some_and(|d| matches!(d, '0' | '#' | '?')) {
                    thousands = true;
                }
            }
            '%' => {
                percent = true;
                push("%", seen_number, &mut prefix, &mut suffix);
            }
            'E' | 'e' if in_number => return None,
            '/' if in_number => return None,
            _ => {
                in_number = false;
                push(&c.to_string(), seen_number, &mut prefix, &mut suffix);
            }
        }
    }
    if !seen_number {
        // a section of literals only, e.g. "-" for zero
        return Some(format!("{prefix}{suffix}"));
    }
    let v = if percent { v * 100.0 } else { v };
    let mut s = format!("{:.*}", decimals, v.abs());
    if decimals > min_decimals && s.contains('.') {
        // '#' decimals: drop trailing zeros down to the '0' ones
        let keep = s.find('.').unwrap() + 1 + min_decimals;
        while s.len() > keep && s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    let (int, frac) = match s.find('.') {
        Some(p) => (s[..p].to_string(), s[p..].to_string()),
        None => (s.clone(), String::new()),
    };
    let mut int = if int == "0" && int_zeros == 0 && !frac.is_empty() {
        String::new()
    } else {
        int
    };
    while int.len() < int_zeros {
        int.insert(0, '0');
    }
    if thousands {
        int = group_thousands(&int);
    }
    let sign = if v < 0.0 && (v * 10f64.powi(decimals as i32)).round() != 0.0 {
        "-"
    } else {
        ""
    };
    Some(format!("{sign}{prefix}{int}{frac}{suffix}"))
}

fn group_thousands(digits: &str) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A Japanese era: (first day as (y, m, d), name, abbreviation, initial).
type Era = ((u16, u8, u8), &'static str, &'static str, &'static str);

const ERAS: &[Era] = &[
    ((2019, 5, 1), "令和", "令", "R"),
    ((1989, 1, 8), "平成", "平", "H"),
    ((1926, 12, 25), "昭和", "昭", "S"),
    ((1912, 7, 30), "大正", "大", "T"),
    ((1868, 1, 1), "明治", "明", "M"),
];

fn era(y: u16, m: u8, d: u8) -> Option<(&'static str, &'static str, &'static str, u16)> {
    ERAS.iter()
        .find(|(start, ..)| (y, m, d) >= *start)
        .map(|&(start, name, abbr, init)| (name, abbr, init, y - start.0 + 1))
}

/// Date/time components (from calamine's `to_ymd_hms_milli`) with a date format code.
pub(crate) fn format_datetime(dt: (u16, u8, u8, u8, u8, u8, u16), code: &str) -> String {
    let (y, mo, d, h, mi, s, _) = dt;
    let code = sections(code)[0];
    let gannen = code.contains("x-gannen");
    let toks = tokenize(code);
    let has_ampm = toks.iter().any(|t| matches!(t, Tok::AmPm(_)));
    let mut out = String::new();
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Lit(l) => out.push_str(l),
            Tok::Field(c, n) => {
                let n = *n;
                match c {
                    'y' => {
                        if n <= 2 {
                            out.push_str(&format!("{:02}", y % 100))
                        } else {
                            out.push_str(&y.to_string())
                        }
                    }
                    'm' => {
                        // minutes after an hour field or before a seconds field
                        let prev = toks[..i].iter().rev().find_map(|t| match t {
                            Tok::Field(c, _) => Some(*c),
                            _ => None,
                        });
                        let next = toks[i + 1..].iter().find_map(|t| match t {
                            Tok::Field(c, _) => Some(*c),
                            _ => None,
                        });
                        if n <= 2 && (prev == Some('h') || next == Some('s')) {
                            pad(&mut out, mi.into(), n);
                        } else if n == 3 {
                            out.push_str(MONTHS[(mo as usize + 11) % 12]);
                        } else if n >= 4 {
                            out.push_str(MONTHS_LONG[(mo as usize + 11) % 12]);
                        } else {
                            pad(&mut out, mo.into(), n);
                        }
                    }
                    'd' => {
                        if n <= 2 {
                            pad(&mut out, d.into(), n)
                        } else {
                            let w = weekday(y, mo, d);
                            out.push_str(if n == 3 { WD_EN[w] } else { WD_EN_LONG[w] })
                        }
                    }
                    'a' => {
                        let w = weekday(y, mo, d);
                        out.push_str(WD_JA[w]);
                        if n >= 4 {
                            out.push_str("曜日");
                        }
                    }
                    'h' => {
                        let hh = if has_ampm { (h + 11) % 12 + 1 } else { h };
                        pad(&mut out, hh.into(), n)
                    }
                    's' => pad(&mut out, s.into(), n),
                    'g' => {
                        if let Some((name, abbr, init, _)) = era(y, mo, d) {
                            out.push_str(match n {
                                1 => init,
                                2 => abbr,
                                _ => name,
                            })
                        }
                    }
                    'e' => match era(y, mo, d) {
                        Some((.., ey)) if ey == 1 && gannen => out.push('元'),
                        Some((.., ey)) => pad(&mut out, ey.into(), n),
                        None => out.push_str(&y.to_string()),
                    },
                    _ => {}
                }
            }
            Tok::AmPm(full) => {
                let pm = h >= 12;
                out.push_str(match (full, pm) {
                    (true, false) => "AM",
                    (true, true) => "PM",
                    (false, false) => "A",
                    (false, true) => "P",
                })
            }
        }
    }
    out
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const MONTHS_LONG: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WD_EN: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const WD_EN_LONG: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const WD_JA: [&str; 7] = ["日", "月", "火", "水", "木", "金", "土"];

fn pad(out: &mut String, v: u32, n: usize) {
    if n >= 2 {
        out.push_str(&format!("{v:02}"))
    } else {
        out.push_str(&v.to_string())
    }
}

/// 0 = Sunday (Sakamoto's method).
fn weekday(y: u16, m: u8, d: u8) -> usize {
    const T: [i32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let mut y = i32::from(y);
    if m < 3 {
        y -= 1;
    }
    ((y + y / 4 - y / 100 + y / 400 + T[(m as usize + 11) % 12] + i32::from(d)) % 7) as usize
}

enum Tok {
    Lit(String),
    Field(char, usize),
    AmPm(bool),
}

fn starts_ci(chars: &[char], pat: &str) -> bool {
    pat.chars().count() <= chars.len()
        && pat
            .chars()
            .zip(chars)
            .all(|(p, c)| p.eq_ignore_ascii_case(c))
}

fn tokenize(code: &str) -> Vec<Tok> {
    let chars: Vec<char> = code.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' => {
                let mut lit = String::new();
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    lit.push(chars[i]);
                    i += 1;
                }
                toks.push(Tok::Lit(lit));
            }
            '\\' => {
                if i + 1 < chars.len() {
                    toks.push(Tok::Lit(chars[i + 1].to_string()));
                    i += 1;
                }
            }
            '_' | '*' => i += 1,
            '[' => {
                while i < chars.len() && chars[i] != ']' {
                    i += 1;
                }
            }
            _ if starts_ci(&chars[i..], "AM/PM") => {
                toks.push(Tok::AmPm(true));
                i += 4;
            }
            _ if starts_ci(&chars[i..], "A/P") => {
                toks.push(Tok::AmPm(false));
                i += 2;
            }
            'y' | 'Y' | 'm' | 'M' | 'd' | 'D' | 'h' | 'H' | 's' | 'S' | 'g' | 'G' | 'e' | 'E'
            | 'a' | 'A' => {
                let lc = c.to_ascii_lowercase();
                let mut n = 1;
                while i + n < chars.len() && chars[i + n].to_ascii_lowercase() == lc {
                    n += 1;
                }
                if lc == 'a' && n < 3 {
                    toks.push(Tok::Lit(chars[i..i + n].iter().collect()));
                } else {
                    toks.push(Tok::Field(lc, n));
                }
                i += n - 1;
            }
            '.' if i + 1 < chars.len() && chars[i + 1] == '0' => {
                // fractional seconds: not shown
                while i + 1 < chars.len() && chars[i + 1] == '0' {
                    i += 1;
                }
            }
            _ => toks.push(Tok::Lit(c.to_string())),
        }
        i += 1;
    }
    toks
}

/// The characters up to `end` (consumed, not returned), or to the end of the format.
fn until(chars: &mut impl Iterator<Item = char>, end: char) -> String {
    chars.take_while(|&c| c != end).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_a_person_sees_them() {
        assert_eq!(general(920471.0), "920471");
        assert_eq!(general(0.1 + 0.2), "0.3");
        assert_eq!(general(265.456), "265.456");
        assert_eq!(general(-3.0), "-3");
        assert_eq!(format_number(920471.0, "#,##0"), "920,471");
        assert_eq!(format_number(1234567.891, "#,##0.00"), "1,234,567.89");
        assert_eq!(format_number(0.625, "0.0%"), "62.5%");
        assert_eq!(format_number(1.0, "0%"), "100%");
        assert_eq!(format_number(265.456, "0.00"), "265.46");
        assert_eq!(format_number(12.0, "#,##0\"人\""), "12人");
        assert_eq!(format_number(-500.0, "#,##0;\"△\"#,##0"), "△500");
        assert_eq!(format_number(-500.0, "#,##0"), "-500");
        assert_eq!(format_number(1500.0, "[$¥-411]#,##0"), "¥1,500");
        assert_eq!(format_number(0.5, "0.0#"), "0.5");
        assert_eq!(format_number(7.0, "000"), "007");
        assert_eq!(format_number(3.0, "General"), "3");
        assert_eq!(format_number(0.0, "#,##0;-#,##0;\"-\""), "-");
    }

    #[test]
    fn dates_western_and_era() {
        let d = (2021, 4, 1, 0, 0, 0, 0);
        assert_eq!(
            format_datetime(d, "[$-ja-JP]ggge\"年\"m\"月\"d\"日\""),
            "令和3年4月1日"
        );
        assert_eq!(format_datetime(d, "[$-411]ge.m.d"), "R3.4.1");
        assert_eq!(format_datetime(d, "yyyy/m/d"), "2021/4/1");
        assert_eq!(
            format_datetime(d, "yyyy\"年\"mm\"月\"dd\"日\"(aaa)"),
            "2021年04月01日(木)"
        );
        assert_eq!(
            format_datetime((2019, 4, 30, 0, 0, 0, 0), "ggge\"年\""),
            "平成31年"
        );
        assert_eq!(
            format_datetime((2019, 5, 1, 0, 0, 0, 0), "[$-ja-JP-x-gannen]ggge\"年\""),
            "令和元年"
        );
        assert_eq!(format_datetime((2021, 4, 1, 13, 5, 0, 0), "h:mm"), "13:05");
        assert_eq!(
            format_datetime((2021, 4, 1, 13, 5, 9, 0), "h\"時\"mm\"分\"ss\"秒\""),
            "13時05分09秒"
        );
        assert_eq!(
            format_datetime((2021, 4, 1, 13, 5, 0, 0), "h:mm AM/PM"),
            "1:05 PM"
        );
        assert_eq!(format_datetime(d, "mm-dd-yy"), "04-01-21");
    }
}
