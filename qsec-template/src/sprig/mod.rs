//! Sprig v3.2.3: every function of `sprig.TxtFuncMap()`, one file per area.
//! Sprig's `slice` replaces Go's builtin one.

pub(crate) mod conversion;
mod crypto;
mod dates;
mod defaults;
mod dicts;
mod encoding;
mod lists;
mod math;
mod network;
mod os;
mod paths;
mod random;
mod reflection;
mod regex;
pub mod semver;
mod strings;
mod url;

use crate::registry::{FunctionRegistry, Signature};
use crate::value::Value;

/// Registers all of Sprig into `r`, with `local` as Go's `time.Local`.
pub(crate) fn register(r: &mut FunctionRegistry, local: &jiff::tz::TimeZone) {
    r.add("hello", Signature::fixed(&[]), |_| Ok(Value::str("Hello!")));
    r.add("fail", Signature::fixed(&[crate::registry::Param::Str]), |a| {
        Err(crate::registry::FuncError::new(conversion::s(&a[0])))
    });
    conversion::register(r);
    crypto::register(r);
    dates::register(r, local);
    defaults::register(r);
    dicts::register(r);
    encoding::register(r);
    lists::register(r);
    math::register(r);
    network::register(r);
    os::register(r);
    paths::register(r);
    random::register(r);
    reflection::register(r);
    regex::register(r);
    semver::register(r);
    strings::register(r);
    url::register(r);
}

#[cfg(test)]
mod tests {
    /// The names of Sprig 3.2.3's `genericMap` (`functions.go`).
    const SPRIG: &str = "hello ago date date_in_zone date_modify dateInZone dateModify duration durationRound htmlDate \
        htmlDateInZone must_date_modify mustDateModify mustToDate now toDate unixEpoch abbrev abbrevboth trunc trim upper \
        lower title untitle substr repeat trimall trimAll trimSuffix trimPrefix nospace initials randAlphaNum randAlpha \
        randAscii randNumeric swapcase shuffle snakecase camelcase kebabcase wrap wrapWith contains hasPrefix hasSuffix \
        quote squote cat indent nindent replace plural sha1sum sha256sum adler32sum toString atoi int64 int float64 seq \
        toDecimal split splitList splitn toStrings until untilStep add1 add sub div mod mul randInt add1f addf subf divf \
        mulf biggest max min maxf minf ceil floor round join sortAlpha default empty coalesce all any compact \
        mustCompact fromJson toJson toPrettyJson toRawJson mustFromJson mustToJson mustToPrettyJson mustToRawJson \
        ternary deepCopy mustDeepCopy typeOf typeIs typeIsLike kindOf kindIs deepEqual env expandenv getHostByName base \
        dir clean ext isAbs osBase osClean osDir osExt osIsAbs b64enc b64dec b32enc b32dec tuple list dict get set unset \
        hasKey pluck keys pick omit merge mergeOverwrite mustMerge mustMergeOverwrite values append push mustAppend \
        mustPush prepend mustPrepend first mustFirst rest mustRest last mustLast initial mustInitial reverse mustReverse \
        uniq mustUniq without mustWithout has mustHas slice mustSlice concat dig chunk mustChunk bcrypt htpasswd \
        genPrivateKey derivePassword buildCustomCert genCA genCAWithKey genSelfSignedCert genSelfSignedCertWithKey \
        genSignedCert genSignedCertWithKey encryptAES decryptAES randBytes uuidv4 semver semverCompare fail regexMatch \
        mustRegexMatch regexFindAll mustRegexFindAll regexFind mustRegexFind regexReplaceAll mustRegexReplaceAll \
        regexReplaceAllLiteral mustRegexReplaceAllLiteral regexSplit mustRegexSplit regexQuoteMeta urlParse urlJoin";

    #[test]
    fn every_sprig_function_is_registered_and_nothing_else() {
        let all = crate::FunctionRegistry::with_sprig();
        let builtins = crate::FunctionRegistry::builtins();
        let names: Vec<&str> = SPRIG.split_whitespace().collect();
        assert_eq!(names.len(), 210);
        for n in &names {
            assert!(all.contains(n), "missing {n}");
        }
        let extra: Vec<&str> =
            all.names().into_iter().filter(|n| !names.contains(n) && !builtins.contains(n)).collect();
        assert!(extra.is_empty(), "not in Sprig: {extra:?}");
    }
}
