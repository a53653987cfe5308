//! Sprig's base64 and base32 functions; decode errors are returned as the
//! result text, as Sprig does.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::conversion::{lossy, s};
use crate::registry::{FunctionRegistry, Param, Signature};
use crate::value::Value;

/// Go's `base64.StdEncoding.DecodeString`, with its error offsets.
fn b64_decode(text: &str) -> Result<Vec<u8>, String> {
    let bytes: Vec<(usize, u8)> = text.bytes().enumerate().filter(|(_, b)| *b != b'\n' && *b != b'\r').collect();
    let err = |at: usize| format!("illegal base64 data at input byte {at}");
    let val = |b: u8| match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        let mut got: usize = 0;
        for (k, &(pos, b)) in chunk.iter().enumerate() {
            if b == b'=' {
                if k < 2 || chunk[k..].iter().any(|(_, c)| *c != b'=') || chunk.len() != 4 {
                    return Err(err(pos));
                }
                break;
            }
            n = (n << 6) | u32::from(val(b).ok_or_else(|| err(pos))?);
            got += 1;
        }
        if chunk.len() < 4 {
            // Go reports the end of input minus the quantum read so far.
            return Err(err(text.len() - chunk.len()));
        }
        n <<= 6 * (4 - got);
        let bytes3 = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes3[..got.saturating_sub(1)]);
    }
    Ok(out)
}

pub(super) fn register(r: &mut FunctionRegistry) {
    use Param::Str;
    let f = Signature::fixed;
    r.add("b64enc", f(&[Str]), |a| Ok(Value::from(B64.encode(s(&a[0])))));
    r.add("b64dec", f(&[Str]), |a| Ok(Value::from(b64_decode(s(&a[0])).map_or_else(|e| e, |b| lossy(&b)))));
    r.add("b32enc", f(&[Str]), |a| Ok(Value::from(data_encoding::BASE32.encode(s(&a[0]).as_bytes()))));
    r.add("b32dec", f(&[Str]), |a| {
        let text: String = s(&a[0]).chars().filter(|c| *c != '\n' && *c != '\r').collect();
        Ok(Value::from(match data_encoding::BASE32.decode(text.as_bytes()) {
            Ok(b) => lossy(&b),
            Err(e) => format!("illegal base32 data at input byte {}", e.position),
        }))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_errors_carry_go_offsets() {
        assert_eq!(b64_decode("aGVsbG8=").expect("valid"), b"hello");
        assert_eq!(b64_decode("aGVsbG8").unwrap_err(), "illegal base64 data at input byte 4");
        assert_eq!(b64_decode("a$").unwrap_err(), "illegal base64 data at input byte 1");
        assert_eq!(b64_decode("").expect("valid"), b"");
    }
}
