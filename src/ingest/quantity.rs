//! Resource quantities parsed exactly as `k8s.io/apimachinery/pkg/api/resource`
//! does (`ParseQuantity`): `<sign><digits>[.<digits>]<suffix>` with binary
//! (`Ki`..`Ei`), decimal (`n u m k M G T P E`) or exponent (`e3`, `E-2`)
//! suffixes; values are capped at 2^63-1 units as upstream, and converted to
//! integers rounding up (`MilliValue`, `Value`).

/// A parsed quantity: `digits × 10^exp10 × 2^exp2`, with a sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quantity {
    negative: bool,
    /// Significant decimal digits, no leading zeros ("" is zero).
    digits: String,
    exp10: i64,
    exp2: u32,
}

/// Why a quantity string is invalid, in upstream's words.
pub const ERR_FORMAT: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/// Upstream's error for an unknown suffix.
pub const ERR_SUFFIX: &str = "unable to parse quantity's suffix";

const SUFFIX_CHARS: &[u8] = b"eEinumkKMGTP";
/// Digits kept exactly; longer mantissas are rounded up at the 30th digit.
const MAX_DIGITS: usize = 30;

/// Parses a quantity string.
pub fn parse(s: &str) -> Result<Quantity, &'static str> {
    let b = s.as_bytes();
    let (negative, num_start) = match b.first() {
        None => return Err(ERR_FORMAT),
        Some(b'+') => (false, 1),
        Some(b'-') => (true, 1),
        Some(_) => (false, 0),
    };
    // `<digits>[.<digits>]`, at least one digit in all.
    let mut pos = skip_digits(b, num_start);
    let num = &s[num_start..pos];
    let mut denom = "";
    if b.get(pos) == Some(&b'.') {
        let start = pos + 1;
        pos = skip_digits(b, start);
        denom = &s[start..pos];
    }
    if num.is_empty() && denom.is_empty() {
        return Err(ERR_FORMAT);
    }
    // The suffix: suffix letters, then an optionally signed exponent.
    let suffix_start = pos;
    while pos < b.len() && SUFFIX_CHARS.contains(&b[pos]) {
        pos += 1;
    }
    if matches!(b.get(pos), Some(b'-' | b'+')) {
        pos += 1;
    }
    if skip_digits(b, pos) != b.len() {
        return Err(ERR_FORMAT);
    }
    let (exp10, exp2) = interpret_suffix(&s[suffix_start..])?;
    let mut digits = String::with_capacity(num.len() + denom.len());
    digits.push_str(num);
    digits.push_str(denom);
    let trimmed = digits.trim_start_matches('0');
    Ok(Quantity {
        negative: negative && !trimmed.is_empty(),
        digits: trimmed.to_string(),
        exp10: exp10.saturating_sub(denom.len() as i64),
        exp2,
    })
}

/// The position after the ASCII digits of `b` from `pos` on.
fn skip_digits(b: &[u8], mut pos: usize) -> usize {
    while pos < b.len() && b[pos].is_ascii_digit() {
        pos += 1;
    }
    pos
}

/// The powers of ten and of two a suffix stands for (`Ki` → 2^10, `m` →
/// 10^-3, `e3` → 10^3).
fn interpret_suffix(suffix: &str) -> Result<(i64, u32), &'static str> {
    Ok(match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        s if s.len() > 1 && (s.starts_with('e') || s.starts_with('E')) => {
            (s[1..].parse::<i64>().map_err(|_| ERR_SUFFIX)?, 0)
        }
        _ => return Err(ERR_SUFFIX),
    })
}

impl Quantity {
    /// True for a negative, non-zero quantity.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// `Value()`: whole units, rounded up (away from zero), saturating.
    pub fn value(&self) -> i64 {
        self.scaled(0)
    }

    /// `MilliValue()`: thousandths, rounded up (away from zero), saturating.
    pub fn milli_value(&self) -> i64 {
        self.scaled(3)
    }

    /// `|self| × 10^scale` rounded up, capped at 2^63-1 units as upstream,
    /// with the sign applied.
    fn scaled(&self, scale: i64) -> i64 {
        if self.digits.is_empty() {
            return 0;
        }
        // Upstream caps the quantity at 2^63-1 units before scaling.
        let magnitude = match self.magnitude(0) {
            Some(units) if units <= i64::MAX as u128 => self.magnitude(scale),
            _ => None,
        };
        let v = magnitude.map_or(i64::MAX, |m| m.min(i64::MAX as u128) as i64);
        if self.negative {
            -v
        } else {
            v
        }
    }

    /// ceil(digits × 10^(exp10+scale) × 2^exp2), None on overflow.
    fn magnitude(&self, scale: i64) -> Option<u128> {
        let mut digits: &str = &self.digits;
        let mut k = self.exp10.saturating_add(scale);
        let mut round_up = false;
        if digits.len() > MAX_DIGITS {
            // Keep MAX_DIGITS significant digits, rounding the mantissa up.
            round_up = digits[MAX_DIGITS..].bytes().any(|c| c != b'0');
            k = k.saturating_add((digits.len() - MAX_DIGITS) as i64);
            digits = &digits[..MAX_DIGITS];
        }
        let mut d: u128 = digits.parse().ok()?;
        if round_up {
            d += 1;
        }
        let n = d.checked_mul(1u128.checked_shl(self.exp2)?)?;
        if k >= 0 {
            let p = 10u128.checked_pow(u32::try_from(k).ok()?)?;
            n.checked_mul(p)
        } else {
            let j = k.unsigned_abs();
            match u32::try_from(j).ok().and_then(|j| 10u128.checked_pow(j)) {
                Some(p) => Some(n / p + u128::from(n % p != 0)),
                // 10^j exceeds any mantissa: a positive value rounds up to 1.
                None => Some(1),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn milli(s: &str) -> i64 {
        parse(s).unwrap().milli_value()
    }
    fn val(s: &str) -> i64 {
        parse(s).unwrap().value()
    }

    #[test]
    fn upstream_examples() {
        assert_eq!(milli("100m"), 100);
        assert_eq!(milli("0.5"), 500);
        assert_eq!(milli("2"), 2000);
        assert_eq!(milli(".5"), 500);
        assert_eq!(milli("1."), 1000);
        assert_eq!(val("1Gi"), 1 << 30);
        assert_eq!(val("1G"), 1_000_000_000);
        assert_eq!(val("512Mi"), 512 << 20);
        assert_eq!(val("1e3"), 1000);
        assert_eq!(val("1E3"), 1000);
        assert_eq!(val("1e+3"), 1000);
        assert_eq!(val("1.5Ki"), 1536);
        assert_eq!(val("12E"), i64::MAX);
        assert_eq!(val("1Ei"), 1 << 60);
        assert_eq!(val("8Ei"), i64::MAX);
        assert_eq!(val("4668352Ki"), 4_780_392_448);
        assert_eq!(milli("0.0001"), 1);
        assert_eq!(val("1m"), 1);
        assert_eq!(val("1n"), 1);
        assert_eq!(milli("1e-300"), 1);
        assert_eq!(val("0"), 0);
        assert_eq!(val("-0"), 0);
        assert_eq!(val("-1k"), -1000);
        assert_eq!(val("122601479578"), 122_601_479_578);
        assert_eq!(val("1e1000"), i64::MAX);
        assert_eq!(milli("0.1234Ki"), 126_362);
    }

    #[test]
    fn rejects_what_upstream_rejects() {
        for bad in [
            "", "12x", ".", "+", "1.5.5", "1K", "1 ", " 1", "e3", "1e", "1Ki3", "1kk", "--1",
            "1e3.5", "0x10", "1E+", "1i",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
