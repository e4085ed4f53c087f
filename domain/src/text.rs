//! Text normalization shared by header mapping, community matching and value parsing.

use std::borrow::Cow;

/// Full-width ASCII forms (U+FF01..U+FF5E) and the ideographic space become their half-width
/// equivalents; Excel exports from Chinese systems mix both freely.
pub fn to_half_width(s: &str) -> String {
    half_width(s).into_owned()
}

/// Whether `s` may hold a full-width form or an ideographic space: their UTF-8 encodings start
/// with 0xEF and 0xE3. Most cells hold neither, and are then used as they are (every cell of
/// every row passes through here, so the check is on bytes, without allocating).
#[inline]
fn may_be_full_width(s: &str) -> bool {
    s.bytes().any(|b| b == 0xEF || b == 0xE3)
}

#[inline]
fn half_width(s: &str) -> Cow<'_, str> {
    if !may_be_full_width(s) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\u{3000}' => ' ',
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            })
            .collect(),
    )
}

fn is_dropped_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}'
}

/// Half-width, with every kind of white space removed (Chinese names and place names have no
/// meaningful spaces, but exports often pad them).
pub fn compact(s: &str) -> String {
    compact_cow(Cow::Borrowed(s)).into_owned()
}

/// [`compact`] of a text that may be borrowed or owned, handed back as it is (no copy) when
/// nothing in it changes: the usual case for record and volunteer numbers.
#[inline]
pub fn compact_cow(s: Cow<'_, str>) -> Cow<'_, str> {
    if may_change_in_compact(&s) {
        Cow::Owned(compacted(&s))
    } else {
        s
    }
}

/// [`compact`]'s char-by-char pass, for a text that may change.
fn compacted(s: &str) -> String {
    let half = half_width(s);
    if !half.chars().any(is_dropped_space) {
        return half.into_owned();
    }
    half.chars().filter(|c| !is_dropped_space(*c)).collect()
}

/// Whether [`compact`] may change `s`: it holds an ASCII space or control space, or a byte that
/// starts the UTF-8 form of another white space (U+0085, U+00A0: 0xC2; U+1680: 0xE1;
/// U+2000..U+205F: 0xE2; U+3000: 0xE3; U+FEFF and the full-width forms: 0xEF). Chinese text
/// (0xE4..0xE9) and digits pass on one scan of the bytes.
#[inline]
fn may_change_in_compact(s: &str) -> bool {
    s.bytes().any(|b| MAY_CHANGE_IN_COMPACT[usize::from(b)])
}

/// [`may_change_in_compact`]'s bytes as a table: one load a byte, where the match was a chain
/// of comparisons (this runs on every text cell of every row).
const MAY_CHANGE_IN_COMPACT: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(
            b as u8,
            b'\t'..=b'\r' | b' ' | 0xC2 | 0xE1 | 0xE2 | 0xE3 | 0xEF
        );
        b += 1;
    }
    table
};

fn is_trimmed(c: char) -> bool {
    c.is_whitespace() || c == '\u{FEFF}'
}

/// Trimmed, half-width text; `None` when nothing is left.
pub fn clean(s: &str) -> Option<String> {
    clean_borrowed(s).map(Cow::into_owned)
}

/// [`clean`], borrowing `s` when nothing in it but the ends changes (the usual case: no
/// full-width characters), so that a cell's text is not copied on its way to staging.
#[inline]
pub fn clean_borrowed(s: &str) -> Option<Cow<'_, str>> {
    match half_width(s) {
        Cow::Borrowed(b) => {
            let t = trim(b);
            (!t.is_empty()).then_some(Cow::Borrowed(t))
        }
        Cow::Owned(o) => {
            let t = trim(&o);
            (!t.is_empty()).then(|| Cow::Owned(t.to_string()))
        }
    }
}

/// `s` without [`is_trimmed`] characters at its ends. Most cells begin and end with a
/// printable ASCII character or a character of U+4000..U+9FFF (UTF-8 lead bytes 0xE4..0xE9:
/// the CJK ideographs, and no white space), and are then taken as they are without decoding
/// a character.
#[inline]
fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let plain_start = |i: usize| matches!(b[i], 0x21..=0x7E | 0xE4..=0xE9);
    let plain_end = match b {
        [.., 0x21..=0x7E] => true,
        [.., lead, c1, c2] => {
            matches!(lead, 0xE4..=0xE9) && matches!(c1, 0x80..=0xBF) && matches!(c2, 0x80..=0xBF)
        }
        _ => false,
    };
    if !b.is_empty() && plain_start(0) && plain_end {
        s
    } else {
        s.trim_matches(is_trimmed)
    }
}

/// Whether [`clean`] would give `None`, without building the text.
#[inline]
pub fn is_blank(s: &str) -> bool {
    s.chars().all(|c| is_trimmed(c) || c == '\u{3000}')
}

/// A short excerpt of a cell value that is safe to show in a message: long digit runs (which
/// could be an ID or phone number put in the wrong column) are masked, and length is capped.
/// A phone number written in groups (`138-1234-5678`, `138 1234 5678`, `+86 138…`) is one run:
/// digit groups joined by single separators count together, and 11 digits or more are masked
/// (a date, even with its time, has fewer: `2025-03-01 09` is 10).
pub fn safe_excerpt(s: &str) -> String {
    let chars: Vec<char> = to_half_width(s).chars().collect();
    let mut masked = vec![false; chars.len()];
    mark_digit_runs(&chars, &mut masked);
    mark_grouped_numbers(&chars, &mut masked);
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if masked[i] {
            let start = i;
            while i < chars.len() && masked[i] {
                i += 1;
            }
            out.push_str(&"*".repeat((i - start).min(8)));
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    if out.chars().count() > 40 {
        let cut: String = out.chars().take(40).collect();
        format!("{cut}…")
    } else {
        out
    }
}

/// Runs of digits (an X may follow inside a run, as in an ID number) with 6 digits or more.
fn mark_digit_runs(chars: &[char], masked: &mut [bool]) {
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_digit() || matches!(chars[i], 'X' | 'x')) {
            i += 1;
        }
        if chars[start..i]
            .iter()
            .filter(|c| c.is_ascii_digit())
            .count()
            >= 6
        {
            masked[start..i].iter_mut().for_each(|m| *m = true);
        }
    }
}

/// Digit groups joined by single separators (space, `-`, `.`, brackets, a leading `+`) with
/// 11 digits or more in all: a phone number written for reading.
fn mark_grouped_numbers(chars: &[char], masked: &mut [bool]) {
    let separator = |c: char| matches!(c, ' ' | '-' | '.' | '(' | ')' | '+');
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        // Include a `+` or `(` right before the first group.
        let start = if i > 0 && matches!(chars[i - 1], '+' | '(') {
            i - 1
        } else {
            i
        };
        let mut digits = 0;
        let mut j = i;
        let end = loop {
            while j < chars.len() && chars[j].is_ascii_digit() {
                digits += 1;
                j += 1;
            }
            let end = j;
            // One separator (a bracket may follow another: `(0571) 8888`) then a digit goes on.
            let mut k = j;
            let mut seps = 0;
            while k < chars.len() && separator(chars[k]) && seps < 2 {
                k += 1;
                seps += 1;
            }
            if seps > 0 && k < chars.len() && chars[k].is_ascii_digit() {
                j = k;
            } else {
                break end;
            }
        };
        if digits >= 11 {
            masked[start..end].iter_mut().for_each(|m| *m = true);
        }
        i = end.max(i + 1);
    }
}

/// A CSV cell that a spreadsheet will not run as a formula (CSV injection, as OWASP describes
/// it): text starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`.
/// Numbers, negative ones included, stay numbers.
pub fn csv_safe(cell: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let risky = matches!(
        cell.first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    let number = || {
        std::str::from_utf8(cell)
            .ok()
            .is_some_and(|t| t.trim().parse::<f64>().is_ok_and(f64::is_finite))
    };
    if risky && !number() {
        let mut safe = Vec::with_capacity(cell.len() + 1);
        safe.push(b'\'');
        safe.extend_from_slice(cell);
        std::borrow::Cow::Owned(safe)
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Masks a person's name for storage: 张三 → 张*, 张三明 → 张*明, 欧阳小明 → 欧**明.
pub fn mask_name(name: &str) -> Option<String> {
    let chars: Vec<char> = compact(name).chars().collect();
    match chars.len() {
        0 => None,
        1 => Some("*".to_string()),
        2 => Some(format!("{}*", chars[0])),
        n => Some(format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1])),
    }
}

/// Whether a row's cell marks a total line (合计/总计/小计) rather than data.
pub fn is_total_label(s: &str) -> bool {
    // Every label has 计: a data cell is turned away without building anything.
    if !s.contains('计') {
        return false;
    }
    let c = compact(s);
    matches!(
        c.as_str(),
        "合计" | "总计" | "小计" | "合计:" | "总计:" | "合 计" | "总合计"
    ) || c.starts_with("合计") && c.chars().count() <= 6
        || c.starts_with("总计") && c.chars().count() <= 6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_paths_agree_with_the_char_by_char_forms() {
        for s in [
            "",
            " ",
            "\u{3000}",
            "\u{FEFF} ",
            "a",
            " 幸福社区 ",
            "ＡＢ　１",
            "x\u{200B}y",
            "２０２４年",
            "\t\n",
            "社区\u{3000}",
            "\u{FF5E}",
            "\u{FF5F}",
            "é",
        ] {
            assert_eq!(is_blank(s), clean(s).is_none(), "{s:?}");
            let slow: String = s
                .chars()
                .map(|c| match c {
                    '\u{3000}' => ' ',
                    '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                    _ => c,
                })
                .collect();
            assert_eq!(to_half_width(s), slow, "{s:?}");
            let slow_compact: String = slow.chars().filter(|c| !is_dropped_space(*c)).collect();
            assert_eq!(compact(s), slow_compact, "{s:?}");
        }
    }

    #[test]
    fn compact_fast_path_agrees_for_every_character() {
        // Each character alone, and between two others, through the byte check and without it.
        for c in (0..0x3_0000u32).filter_map(char::from_u32) {
            for s in [c.to_string(), format!("a{c}社")] {
                let slow: String = to_half_width(&s)
                    .chars()
                    .filter(|c| !is_dropped_space(*c))
                    .collect();
                assert_eq!(compact(&s), slow, "U+{:04X}", c as u32);
                assert_eq!(
                    compact_cow(Cow::Owned(s.clone())),
                    slow,
                    "U+{:04X}",
                    c as u32
                );
            }
        }
    }

    #[test]
    fn clean_agrees_with_trimming_char_by_char_for_every_character() {
        // Each character alone, at both ends of a text, and inside one (the trim's byte check
        // at the ends must never keep a white space or drop anything else).
        for c in (0..0x3_0000u32).filter_map(char::from_u32) {
            for s in [
                c.to_string(),
                format!("{c}a{c}"),
                format!("a{c}社"),
                format!("{c}社"),
                format!("a{c}"),
                format!("社{c}"),
            ] {
                let slow = to_half_width(&s);
                let slow = slow.trim_matches(is_trimmed);
                let expected = (!slow.is_empty()).then(|| slow.to_string());
                assert_eq!(clean(&s), expected, "U+{:04X}", c as u32);
            }
        }
    }

    #[test]
    fn half_width_and_compact() {
        assert_eq!(to_half_width("ＡＢＣ１２３　（必填）"), "ABC123 (必填)");
        assert_eq!(compact(" 幸福 社区\u{3000}"), "幸福社区");
        assert_eq!(clean("  \u{3000} "), None);
        assert!(matches!(
            clean_borrowed(" 青山区 "),
            Some(Cow::Borrowed("青山区"))
        ));
        assert_eq!(clean_borrowed(" ＡＢ\u{3000}").as_deref(), Some("AB"));
        assert_eq!(clean_borrowed("\u{3000}"), None);
        assert!(matches!(
            compact_cow(Cow::Borrowed("A001")),
            Cow::Borrowed("A001")
        ));
        assert_eq!(compact_cow(Cow::Borrowed("A 0\u{3000}01")), "A001");
    }

    #[test]
    fn masks_names() {
        assert_eq!(mask_name("张三").as_deref(), Some("张*"));
        assert_eq!(mask_name("张三明").as_deref(), Some("张*明"));
        assert_eq!(mask_name("欧阳小明").as_deref(), Some("欧**明"));
        assert_eq!(mask_name(" ").as_deref(), None);
    }

    #[test]
    fn csv_cells_never_start_a_formula() {
        let safe = |s: &str| String::from_utf8(csv_safe(s.as_bytes()).into_owned()).unwrap();
        assert_eq!(safe("=1+2"), "'=1+2");
        assert_eq!(safe("+SUM(A1)"), "'+SUM(A1)");
        assert_eq!(safe("@cmd"), "'@cmd");
        assert_eq!(safe("-2+3"), "'-2+3");
        assert_eq!(safe("\tx"), "'\tx");
        assert_eq!(safe("\rx"), "'\rx");
        assert_eq!(safe("-1.5"), "-1.5");
        assert_eq!(safe("+3"), "+3");
        assert_eq!(safe("春园社区"), "春园社区");
        assert_eq!(safe(""), "");
    }

    #[test]
    fn excerpts_hide_digit_runs() {
        assert_eq!(safe_excerpt("13800138000"), "********");
        // Phones written in groups, as people write them.
        assert_eq!(safe_excerpt("138-1234-5678"), "********");
        assert_eq!(safe_excerpt("电话 138 1234 5678 张"), "电话 ******** 张");
        assert_eq!(safe_excerpt("+86 138 1234 5678"), "********");
        assert_eq!(safe_excerpt("(0571) 8888-8888"), "********");
        assert_eq!(safe_excerpt("１３８－１２３４－５６７８"), "********");
        // Dates and times stay readable.
        assert_eq!(safe_excerpt("2025-03-01 09:00:00"), "2025-03-01 09:00:00");
        assert_eq!(safe_excerpt("2025.3.1"), "2025.3.1");
        assert_eq!(safe_excerpt("2024-13-45"), "2024-13-45");
        assert_eq!(safe_excerpt("11010519491231002X号"), "********号");
    }

    #[test]
    fn total_rows() {
        assert!(is_total_label("合计"));
        assert!(is_total_label(" 总 计 "));
        assert!(!is_total_label("合作社区"));
    }
}
