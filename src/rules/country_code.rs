//! The country calling code an E.164 number begins with, so that a lead phone whose code no
//! country or service has (`+99912345678`) can be refused as invalid rather than held for. The
//! codes are the table in `country_codes.rs`, generated from libphonenumber's data by
//! `scripts/country_codes.py`.

use super::country_codes::ASSIGNED;

/// The assigned country code `digits` (an E.164 number's digits after the `+`) begins with:
/// `Some(44)` for `442079460958`, `Some(1)` for any `1…`. `None` when no assigned code is a
/// prefix, or a non-digit comes before one is complete. Codes have 1 to 3 digits and none is a
/// prefix of another (E.164; the generator checks it), so the first match, shortest first, is
/// the only one. Says nothing of the rest of the number: its length and national plan are other
/// rules' business (NANP area codes: `nanp`).
pub fn country_code(digits: &str) -> Option<u16> {
    let mut code = 0u16;
    for &d in digits.as_bytes().iter().take(3) {
        // No code begins with 0: without this, `01…` would read as code 1.
        if !d.is_ascii_digit() || (code == 0 && d == b'0') {
            return None;
        }
        code = code * 10 + u16::from(d - b'0');
        if ASSIGNED.binary_search(&code).is_ok() {
            return Some(code);
        }
    }
    None
}

/// Whether an E.164 number (`+` and digits, as `phone::e164` writes it) begins with an
/// assigned country calling code.
pub fn assigned(e164: &str) -> bool {
    e164.strip_prefix('+').and_then(country_code).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_short_and_prefix_free() {
        // What binary search and the shortest-first reading rely on.
        assert!(ASSIGNED.windows(2).all(|w| w[0] < w[1]));
        assert!(ASSIGNED.iter().all(|&c| (1..=999).contains(&c)));
        for &a in ASSIGNED {
            for &b in ASSIGNED {
                assert!(a == b || !b.to_string().starts_with(&a.to_string()), "{a} is a prefix of {b}");
            }
        }
    }

    #[test]
    fn assigned_codes_of_one_two_and_three_digits() {
        assert_eq!(country_code("14155550123"), Some(1));
        assert_eq!(country_code("12125550123"), Some(1));
        assert_eq!(country_code("74951234567"), Some(7));
        assert_eq!(country_code("77012345678"), Some(7));
        assert_eq!(country_code("442079460958"), Some(44));
        assert_eq!(country_code("353861234567"), Some(353));
        assert_eq!(country_code("9921234567"), Some(992));
        assert_eq!(country_code("998901234567"), Some(998));
    }

    #[test]
    fn non_geographic_codes_are_assigned() {
        assert_eq!(country_code("80012345678"), Some(800));
        let others = [("80812345678", 808), ("870773111632", 870), ("8816212345", 881), ("88234567890", 882), ("883140001234", 883)];
        for (digits, code) in others.into_iter().chain([("888123456789", 888), ("979123456789", 979)]) {
            assert_eq!(country_code(digits), Some(code), "{digits}");
        }
    }

    #[test]
    fn unassigned_codes_are_none() {
        // ITU: 999 reserved, 990 and 997 spare, 991 a trial service with no numbering plan in
        // libphonenumber; 280-289, 801-807, 830-839 and 422 spare; 671 was Guam's before the NANP.
        let spare = ["99912345678", "99012345678", "99112345678", "99712345678", "28012345678", "28912345678"];
        for digits in spare.into_iter().chain(["80112345678", "83012345678", "42212345678", "6711234567"]) {
            assert_eq!(country_code(digits), None, "{digits}");
        }
        // 99 and 28 are no codes themselves, and too short to reach a 3-digit one.
        assert_eq!(country_code("99"), None);
        assert_eq!(country_code("28"), None);
        assert_eq!(country_code("9"), None);
    }

    #[test]
    fn digits_that_form_no_code() {
        // No code begins with 0; 01 is not code 1.
        assert_eq!(country_code("0012025550123"), None);
        assert_eq!(country_code("014155550123"), None);
        assert_eq!(country_code(""), None);
        // Only the digits after the `+`, and only digits.
        assert_eq!(country_code("+442079460958"), None);
        assert_eq!(country_code("4a2079460958"), None);
        assert_eq!(country_code("٤٤2079460958"), None);
    }
}
