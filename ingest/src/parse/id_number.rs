//! Resident ID numbers (GB 11643): 18 characters with a check digit, or legacy 15 digits.
//! Only the normalized form is ever hashed; the raw value never leaves this module in a message.

use super::text::compact;

/// A valid, normalized 18-character ID number (legacy 15-digit numbers are upgraded). Held as
/// its 18 ASCII bytes: every hour record parses one, and a `String` would be an allocation each.
#[derive(Clone, PartialEq, Eq)]
pub struct IdNumber([u8; 18]);

impl std::fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the number, even in a debug dump.
        f.write_str("IdNumber(<redacted>)")
    }
}

/// Why an ID number was rejected. Messages name the problem, never the number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    Empty,
    /// Excel turned an 18-digit number into a float and lost digits (e.g. `1.10105E+17`).
    ScientificNotation,
    WrongLength(usize),
    /// 17 digits whose check character would be X: the X was most likely lost (typed as a
    /// number, or cut by a formula).
    LostCheckX,
    BadCharacters,
    BadBirthDate,
    CheckDigit,
}

impl IdError {
    pub fn reason(&self) -> String {
        match self {
            IdError::Empty => "证件号码为空 (ID number is empty)".into(),
            IdError::ScientificNotation => {
                "证件号码被Excel存为数字、位数已丢失 (ID number stored as a number in scientific notation; digits lost)".into()
            }
            IdError::WrongLength(n) => {
                format!("证件号码长度为{n}位，应为18或15位 (ID number has {n} characters, expected 18 or 15)")
            }
            IdError::LostCheckX => "证件号码只有17位，末位校验码应为X，可能在Excel中丢失 (17 digits: the check character X was probably lost in Excel)".into(),
            IdError::BadCharacters => "证件号码含非法字符 (ID number has invalid characters)".into(),
            IdError::BadBirthDate => "证件号码中的出生日期无效 (birth date inside the ID number is invalid)".into(),
            IdError::CheckDigit => "证件号码校验位错误 (ID number check digit is wrong)".into(),
        }
    }
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

/// The GB 11643 check character for the first 17 digits (ASCII: it reads bytes; a byte
/// that is not a digit counts as 0).
pub fn check_char(first17: &str) -> char {
    char::from(check_byte(first17.as_bytes()))
}

/// [`check_char`] as its ASCII byte.
fn check_byte(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| {
            if b.is_ascii_digit() {
                u32::from(b - b'0') * w
            } else {
                0
            }
        })
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

impl IdNumber {
    /// Parses text (spaces, full-width digits, lowercase x, a leading apostrophe all accepted).
    pub fn parse(raw: &str) -> Result<IdNumber, IdError> {
        // The usual cell, 18 plain characters, is checked where it is; the general path below
        // would give it the same result after three copies.
        if let Some(plain) = plain_eighteen(raw.as_bytes()) {
            return IdNumber::checked(plain);
        }
        let s: String = compact(raw)
            .trim_start_matches('\'')
            .chars()
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        if s.contains('E') && s.contains('+') {
            return Err(IdError::ScientificNotation);
        }
        // Numbers that went through a float (`110105194912310021.0`).
        let s = s.strip_suffix(".0").unwrap_or(&s);
        // Lengths below are in bytes: anything not ASCII is wrong here anyway (found by fuzzing:
        // `110105199001011身` is 18 bytes and was split inside the 身).
        if !s.is_ascii() {
            return Err(IdError::BadCharacters);
        }
        let all_digits = || s.bytes().all(|b| b.is_ascii_digit());
        match s.len() {
            18 => match plain_eighteen(s.as_bytes()) {
                Some(plain) => IdNumber::checked(plain),
                None => Err(IdError::BadCharacters),
            },
            15 => {
                if !all_digits() {
                    return Err(IdError::BadCharacters);
                }
                let mut body = [0u8; 18];
                body[..6].copy_from_slice(&s.as_bytes()[..6]);
                body[6..8].copy_from_slice(b"19");
                body[8..17].copy_from_slice(&s.as_bytes()[6..]);
                check_birth(&body[6..14])?;
                body[17] = check_byte(&body[..17]);
                Ok(IdNumber(body))
            }
            17 if all_digits() && check_char(s) == 'X' => Err(IdError::LostCheckX),
            n => Err(IdError::WrongLength(n)),
        }
    }

    /// An 18-character number of 17 digits and a digit or X: valid when its birth date and
    /// check character are.
    fn checked(number: [u8; 18]) -> Result<IdNumber, IdError> {
        check_birth(&number[6..14])?;
        if number[17] != check_byte(&number[..17]) {
            return Err(IdError::CheckDigit);
        }
        Ok(IdNumber(number))
    }

    /// Parses a numeric cell. 15-digit numbers survive a float; 18-digit ones do not.
    pub fn from_number(value: f64) -> Result<IdNumber, IdError> {
        if value.fract() != 0.0 || value < 0.0 {
            return Err(IdError::BadCharacters);
        }
        if value >= 1e17 {
            // Beyond 2^53 a float cannot hold every digit of an 18-digit number.
            return Err(IdError::ScientificNotation);
        }
        IdNumber::parse(&format!("{value:.0}"))
    }

    /// The normalized number, for hashing only.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("an ID number is ASCII")
    }

    pub fn birth_year(&self) -> i32 {
        digits(&self.0[6..10]) as i32
    }

    /// 男 when the 17th digit is odd, 女 when even.
    pub fn gender(&self) -> &'static str {
        match self.0[16] - b'0' {
            d if d % 2 == 1 => "男",
            _ => "女",
        }
    }
}

/// 17 ASCII digits and a digit or X (x upper-cased), as they are, or `None`.
fn plain_eighteen(bytes: &[u8]) -> Option<[u8; 18]> {
    let mut number: [u8; 18] = bytes.try_into().ok()?;
    number[17] = number[17].to_ascii_uppercase();
    (number[..17].iter().all(u8::is_ascii_digit)
        && (number[17].is_ascii_digit() || number[17] == b'X'))
        .then_some(number)
}

/// The value of a run of ASCII digits (checked by the caller).
fn digits(ascii: &[u8]) -> u32 {
    ascii.iter().fold(0, |n, b| n * 10 + u32::from(b - b'0'))
}

fn check_birth(yyyymmdd: &[u8]) -> Result<(), IdError> {
    let (y, m, d) = (
        digits(&yyyymmdd[0..4]) as i32,
        digits(&yyyymmdd[4..6]),
        digits(&yyyymmdd[6..8]),
    );
    if !(1900..=2100).contains(&y) || chrono::NaiveDate::from_ymd_opt(y, m, d).is_none() {
        return Err(IdError::BadBirthDate);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Synthetic numbers built with the check digit; no real person's number.
    fn synth(body17: &str) -> String {
        format!("{body17}{}", check_char(body17))
    }

    #[test]
    fn valid_and_normalized() {
        let id = synth("11010519900307123");
        let parsed = IdNumber::parse(&id).unwrap();
        assert_eq!(parsed.as_str(), id);
        assert_eq!(parsed.birth_year(), 1990);
        // The 17th digit (3) is odd.
        assert_eq!(parsed.gender(), "男");
        let spaced = format!(" {} {} ", &id[..6], &id[6..]);
        assert_eq!(IdNumber::parse(&spaced).unwrap(), parsed);
        let full_width: String = id
            .chars()
            .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
            .collect();
        assert_eq!(IdNumber::parse(&full_width).unwrap(), parsed);
    }

    #[test]
    fn lowercase_x() {
        // Find a body whose check character is X.
        let body = (0..1000)
            .map(|n| format!("11010519900307{n:03}"))
            .find(|b| check_char(b) == 'X')
            .unwrap();
        let lower = format!("{body}x");
        assert_eq!(
            IdNumber::parse(&lower).unwrap().as_str(),
            format!("{body}X")
        );
    }

    #[test]
    fn legacy_fifteen_upgrades_to_eighteen() {
        let legacy = "110105900307123";
        let parsed = IdNumber::parse(legacy).unwrap();
        assert_eq!(parsed.as_str(), synth("11010519900307123"));
        assert_eq!(IdNumber::from_number(110105900307123.0).unwrap(), parsed);
    }

    #[test]
    fn rejects() {
        let id = synth("11010519900307123");
        let wrong_check = format!("{}{}", &id[..17], if id.ends_with('0') { '1' } else { '0' });
        assert_eq!(IdNumber::parse(&wrong_check), Err(IdError::CheckDigit));
        assert_eq!(
            IdNumber::parse("1.10105E+17"),
            Err(IdError::ScientificNotation)
        );
        assert_eq!(
            IdNumber::from_number(110105199003071230.0),
            Err(IdError::ScientificNotation)
        );
        assert_eq!(IdNumber::parse("12345"), Err(IdError::WrongLength(5)));
        let body_x = (0..1000)
            .map(|n| format!("11010519900307{n:03}"))
            .find(|b| check_char(b) == 'X')
            .unwrap();
        assert_eq!(IdNumber::parse(&body_x), Err(IdError::LostCheckX));
        assert_eq!(
            IdNumber::parse(&synth("11010519901307123")),
            Err(IdError::BadBirthDate)
        );
        assert_eq!(IdNumber::parse(""), Err(IdError::Empty));
        // Regressions found by fuzzing (fuzz/fuzz_targets/parse_id.rs): multi-byte characters
        // where the byte length is 18 or 15 must not split a character.
        assert_eq!(
            IdNumber::parse("110105199001011身"),
            Err(IdError::BadCharacters)
        );
        assert_eq!(
            IdNumber::parse("11010519900101\u{3e5}12"),
            Err(IdError::BadCharacters)
        );
        assert_eq!(
            IdNumber::parse("1101059001011é"),
            Err(IdError::BadCharacters)
        );
        assert!(format!("{:?}", IdNumber::parse(&id).unwrap()).contains("redacted"));
    }

    #[test]
    fn plain_numbers_checked_where_they_are_as_padded_ones() {
        // 18 plain characters take a path of their own: it must agree with the general one
        // (the same number padded with a space) on every outcome.
        let id = synth("11010519900307123");
        let wrong_check = format!("{}{}", &id[..17], if id.ends_with('0') { '1' } else { '0' });
        let body_x = (0..1000)
            .map(|n| format!("11010519900307{n:03}"))
            .find(|b| check_char(b) == 'X')
            .unwrap();
        for plain in [
            id,
            wrong_check,
            synth("11010519901307123"),
            synth("11010518990307123"),
            format!("{body_x}x"),
            format!("{body_x}X"),
            format!("{body_x}1"),
        ] {
            let general = IdNumber::parse(&format!(" {plain}"));
            assert_eq!(IdNumber::parse(&plain), general, "{plain}");
            if let Ok(id) = general {
                assert_eq!(id.as_str(), plain.to_ascii_uppercase());
            }
        }
    }
}
