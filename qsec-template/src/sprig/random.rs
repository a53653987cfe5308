//! Sprig's random strings, `shuffle` and `uuidv4` (cryptographically
//! random, as Sprig's are).

use rand::seq::SliceRandom;

use super::conversion::{i, s};
use crate::registry::{FuncError, FunctionRegistry, Param, Signature};
use crate::value::Value;

fn random_from(count: i64, alphabet: &[u8]) -> Result<Value, FuncError> {
    if count < 0 {
        // goutils fails; Sprig ignores the error.
        return Ok(Value::str(""));
    }
    let mut rng = rand::rng();
    let out: String =
        (0..count).map(|_| alphabet[rand::Rng::random_range(&mut rng, 0..alphabet.len())] as char).collect();
    Ok(Value::from(out))
}

const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NUM: &[u8] = b"0123456789";

pub(super) fn register(r: &mut FunctionRegistry) {
    use Param::{Int, Str};
    let f = Signature::fixed;
    r.add("randAlphaNum", f(&[Int]), |a| random_from(i(&a[0]), &[ALPHA, NUM].concat()));
    r.add("randAlpha", f(&[Int]), |a| random_from(i(&a[0]), ALPHA));
    r.add("randNumeric", f(&[Int]), |a| random_from(i(&a[0]), NUM));
    r.add("randAscii", f(&[Int]), |a| random_from(i(&a[0]), &(32u8..127).collect::<Vec<_>>()));
    r.add("uuidv4", f(&[]), |_| Ok(Value::from(uuid::Uuid::new_v4().to_string())));
    r.add("shuffle", f(&[Str]), |a| {
        let mut chars: Vec<char> = s(&a[0]).chars().collect();
        chars.shuffle(&mut rand::rng());
        Ok(Value::from(chars.into_iter().collect::<String>()))
    });
}

#[cfg(test)]
mod tests {
    use crate::conformance::oracle_engine;

    #[test]
    fn random_values_have_sprig_shapes() {
        let out = oracle_engine()
            .render_json("t", "{{ randAlphaNum 8 | len }} {{ randNumeric 4 | regexMatch \"^[0-9]{4}$\" }} {{ uuidv4 | len }} {{ shuffle \"abc\" | len }} {{ randAlpha -1 }}", &serde_json::json!(null))
            .expect("renders");
        assert_eq!(out, "8 true 36 3 ");
    }
}
