//! [`AppRef`]: the `PROVIDER.CLUSTER.APP` name every qsec object hangs off.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The longest a part may be: a DNS label, so a part can also name a
/// Kubernetes object or a host.
pub const MAX_PART_LEN: usize = 63;

/// A validated app reference such as `aws.stg.myapp`: the app `myapp`
/// running in cluster `stg` of provider `aws`.
///
/// Every part is 1–63 characters of lowercase ASCII letters, digits and `-`,
/// and neither starts nor ends with `-`. That keeps every Vault path and
/// object name built from it inside the app's own area: nothing in an
/// `AppRef` can climb out of a path (`..`, `/`), widen a policy glob
/// (`*`, `+`) or smuggle whitespace or control characters into HCL.
///
/// ```
/// use qsec_core::AppRef;
///
/// let app: AppRef = "aws.stg.myapp".parse()?;
/// assert_eq!((app.provider(), app.cluster(), app.app()), ("aws", "stg", "myapp"));
/// assert_eq!(app.to_string(), "aws.stg.myapp");
/// assert!("aws.stg.../root".parse::<AppRef>().is_err());
/// # Ok::<(), qsec_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AppRef {
    provider: String,
    cluster: String,
    app: String,
}

/// Which of the three parts of an [`AppRef`] a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AppRefPart {
    /// The first part, e.g. `aws`.
    Provider,
    /// The second part, e.g. `stg`.
    Cluster,
    /// The third part, e.g. `myapp`.
    App,
}

impl fmt::Display for AppRefPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Provider => "provider",
            Self::Cluster => "cluster",
            Self::App => "app",
        })
    }
}

/// The rule an input broke; each has its own message saying how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AppRefProblem {
    /// The input is the empty string.
    Empty,
    /// A control character (newline, tab, NUL, ...) at a byte offset.
    ControlCharacter {
        /// Byte offset of the character.
        at: usize,
    },
    /// A whitespace character at a byte offset.
    Whitespace {
        /// Byte offset of the character.
        at: usize,
    },
    /// A `/`, which would add a level to every Vault path.
    Slash,
    /// A `*`, which is a glob in Vault policies.
    Asterisk,
    /// A `+`, which is a one-segment wildcard in Vault policies.
    Plus,
    /// `..`, a parent-directory step (and an empty part).
    DoubleDot,
    /// Fewer than three dot-separated parts.
    TooFewParts {
        /// How many parts there were.
        found: usize,
    },
    /// More than three dot-separated parts.
    TooManyParts {
        /// How many parts there were.
        found: usize,
    },
    /// A part is empty (the input starts or ends with `.`).
    EmptyPart(AppRefPart),
    /// A part is longer than [`MAX_PART_LEN`].
    PartTooLong {
        /// Which part.
        part: AppRefPart,
        /// Its length in bytes.
        len: usize,
    },
    /// A part contains an uppercase letter.
    Uppercase {
        /// Which part.
        part: AppRefPart,
        /// The offending letter.
        letter: char,
    },
    /// A part contains a character outside ASCII.
    NonAscii {
        /// Which part.
        part: AppRefPart,
        /// The offending character.
        character: char,
    },
    /// A part contains an ASCII character other than `a-z`, `0-9` or `-`.
    InvalidCharacter {
        /// Which part.
        part: AppRefPart,
        /// The offending character.
        character: char,
    },
    /// A part starts with `-`.
    LeadingHyphen(AppRefPart),
    /// A part ends with `-`.
    TrailingHyphen(AppRefPart),
}

impl fmt::Display for AppRefProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "it is empty; expected PROVIDER.CLUSTER.APP, e.g. aws.stg.myapp"),
            Self::ControlCharacter { at } => write!(f, "control character at byte {at}; remove it"),
            Self::Whitespace { at } => write!(f, "whitespace at byte {at}; app references contain no spaces"),
            Self::Slash => write!(f, "'/' would change the Vault paths built from it; separate parts with '.'"),
            Self::Asterisk => write!(f, "'*' is a Vault policy glob and would grant other apps' paths"),
            Self::Plus => write!(f, "'+' is a Vault policy wildcard and would grant other apps' paths"),
            Self::DoubleDot => write!(f, "'..' could escape a Vault path and leaves a part empty"),
            Self::TooFewParts { found } => {
                write!(f, "it has {found} part(s) but needs 3: PROVIDER.CLUSTER.APP, e.g. aws.stg.myapp")
            }
            Self::TooManyParts { found } => {
                write!(f, "it has {found} parts but needs exactly 3; parts may contain '-' but not '.'")
            }
            Self::EmptyPart(part) => write!(f, "the {part} part is empty; remove the stray '.'"),
            Self::PartTooLong { part, len } => {
                write!(f, "the {part} part is {len} characters long; the limit is {MAX_PART_LEN}")
            }
            Self::Uppercase { part, letter } => {
                write!(f, "the {part} part contains uppercase {letter:?}; use lowercase letters")
            }
            Self::NonAscii { part, character } => {
                write!(f, "the {part} part contains non-ASCII {character:?}; use a-z, 0-9 and '-'")
            }
            Self::InvalidCharacter { part, character } => {
                write!(f, "the {part} part contains {character:?}; only a-z, 0-9 and '-' are allowed")
            }
            Self::LeadingHyphen(part) => write!(f, "the {part} part starts with '-'; start it with a letter or digit"),
            Self::TrailingHyphen(part) => write!(f, "the {part} part ends with '-'; end it with a letter or digit"),
        }
    }
}

impl AppRef {
    /// Builds an app reference from its three parts, validating each.
    pub fn new(provider: &str, cluster: &str, app: &str) -> Result<Self> {
        // Joining and re-parsing applies the same rules, in the same order,
        // as parsing a string would, including the '.'-in-a-part check.
        format!("{provider}.{cluster}.{app}").parse()
    }

    /// The provider part, e.g. `aws`.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The cluster part, e.g. `stg`.
    pub fn cluster(&self) -> &str {
        &self.cluster
    }

    /// The app part, e.g. `myapp`.
    pub fn app(&self) -> &str {
        &self.app
    }

    /// The three parts joined with `separator`, e.g. `aws-stg-myapp` for `-`.
    pub fn joined(&self, separator: &str) -> String {
        [self.provider.as_str(), &self.cluster, &self.app].join(separator)
    }
}

impl FromStr for AppRef {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self> {
        let invalid = |problem| Error::InvalidAppRef { input: input.to_owned(), problem };
        check_whole(input).map_err(invalid)?;
        let parts: Vec<&str> = input.split('.').collect();
        match parts.len() {
            3 => {}
            found if found < 3 => return Err(invalid(AppRefProblem::TooFewParts { found })),
            found => return Err(invalid(AppRefProblem::TooManyParts { found })),
        }
        let named = [AppRefPart::Provider, AppRefPart::Cluster, AppRefPart::App];
        for (part, text) in named.into_iter().zip(&parts) {
            check_part(part, text).map_err(invalid)?;
        }
        Ok(Self { provider: parts[0].to_owned(), cluster: parts[1].to_owned(), app: parts[2].to_owned() })
    }
}

/// Rules about the input as a whole: the path-escaping characters first,
/// because they are the ones an attacker would try.
fn check_whole(input: &str) -> std::result::Result<(), AppRefProblem> {
    if input.is_empty() {
        return Err(AppRefProblem::Empty);
    }
    if let Some((at, _)) = input.char_indices().find(|(_, c)| c.is_control()) {
        return Err(AppRefProblem::ControlCharacter { at });
    }
    if let Some((at, _)) = input.char_indices().find(|(_, c)| c.is_whitespace()) {
        return Err(AppRefProblem::Whitespace { at });
    }
    if input.contains('/') {
        return Err(AppRefProblem::Slash);
    }
    if input.contains('*') {
        return Err(AppRefProblem::Asterisk);
    }
    if input.contains('+') {
        return Err(AppRefProblem::Plus);
    }
    if input.contains("..") {
        return Err(AppRefProblem::DoubleDot);
    }
    Ok(())
}

fn check_part(part: AppRefPart, text: &str) -> std::result::Result<(), AppRefProblem> {
    if text.is_empty() {
        return Err(AppRefProblem::EmptyPart(part));
    }
    if text.len() > MAX_PART_LEN {
        return Err(AppRefProblem::PartTooLong { part, len: text.len() });
    }
    for character in text.chars() {
        match character {
            'a'..='z' | '0'..='9' | '-' => {}
            'A'..='Z' => return Err(AppRefProblem::Uppercase { part, letter: character }),
            c if !c.is_ascii() => return Err(AppRefProblem::NonAscii { part, character }),
            _ => return Err(AppRefProblem::InvalidCharacter { part, character }),
        }
    }
    if text.starts_with('-') {
        return Err(AppRefProblem::LeadingHyphen(part));
    }
    if text.ends_with('-') {
        return Err(AppRefProblem::TrailingHyphen(part));
    }
    Ok(())
}

impl fmt::Display for AppRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.provider, self.cluster, self.app)
    }
}

impl fmt::Debug for AppRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AppRef({self})")
    }
}

impl TryFrom<String> for AppRef {
    type Error = Error;

    fn try_from(value: String) -> Result<Self> {
        value.parse()
    }
}

impl TryFrom<&str> for AppRef {
    type Error = Error;

    fn try_from(value: &str) -> Result<Self> {
        value.parse()
    }
}

impl From<AppRef> for String {
    fn from(value: AppRef) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn problem(input: &str) -> AppRefProblem {
        match input.parse::<AppRef>() {
            Err(Error::InvalidAppRef { problem, .. }) => problem,
            other => panic!("{input:?} should be rejected, got {other:?}"),
        }
    }

    #[test]
    fn parses_and_displays_the_seed_example() {
        let app: AppRef = "aws.stg.myapp".parse().unwrap();
        assert_eq!(app.provider(), "aws");
        assert_eq!(app.cluster(), "stg");
        assert_eq!(app.app(), "myapp");
        assert_eq!(app.to_string(), "aws.stg.myapp");
        assert_eq!(app.joined("-"), "aws-stg-myapp");
        assert_eq!(format!("{app:?}"), "AppRef(aws.stg.myapp)");
    }

    #[test]
    fn accepts_digits_hyphens_and_the_longest_parts() {
        let long = "a".repeat(MAX_PART_LEN);
        for good in ["gcp.prod-eu1.my-app-2", "0.1.2", &format!("{long}.{long}.{long}")] {
            let app: AppRef = good.parse().unwrap_or_else(|e| panic!("{good:?}: {e}"));
            assert_eq!(app.to_string(), good);
        }
    }

    #[test]
    fn new_validates_like_parse() {
        assert_eq!(AppRef::new("aws", "stg", "myapp").unwrap().to_string(), "aws.stg.myapp");
        // A '.' inside a part must not sneak through `new`.
        assert!(AppRef::new("aws", "stg.x", "myapp").is_err());
        assert!(AppRef::new("aws", "", "myapp").is_err());
    }

    #[test]
    fn rejects_each_rule_with_its_own_message() {
        use AppRefPart::*;
        let too_long = format!("aws.stg.{}", "a".repeat(MAX_PART_LEN + 1));
        let cases: Vec<(&str, AppRefProblem)> = vec![
            ("", AppRefProblem::Empty),
            ("aws.stg.my\napp", AppRefProblem::ControlCharacter { at: 10 }),
            ("aws.stg.my\0app", AppRefProblem::ControlCharacter { at: 10 }),
            ("aws.stg.my app", AppRefProblem::Whitespace { at: 10 }),
            ("aws/stg.myapp", AppRefProblem::Slash),
            ("aws.stg.*", AppRefProblem::Asterisk),
            ("aws.stg.my+app", AppRefProblem::Plus),
            ("aws..myapp", AppRefProblem::DoubleDot),
            ("aws.stg.../root", AppRefProblem::Slash),
            ("aws.stg", AppRefProblem::TooFewParts { found: 2 }),
            ("myapp", AppRefProblem::TooFewParts { found: 1 }),
            ("aws.stg.myapp.extra", AppRefProblem::TooManyParts { found: 4 }),
            (".stg.myapp", AppRefProblem::EmptyPart(Provider)),
            ("aws.stg.", AppRefProblem::EmptyPart(App)),
            (&too_long, AppRefProblem::PartTooLong { part: App, len: 64 }),
            ("AWS.stg.myapp", AppRefProblem::Uppercase { part: Provider, letter: 'A' }),
            ("aws.stg.mÿapp", AppRefProblem::NonAscii { part: App, character: 'ÿ' }),
            ("aws.stg.my_app", AppRefProblem::InvalidCharacter { part: App, character: '_' }),
            ("aws.st%2e.myapp", AppRefProblem::InvalidCharacter { part: Cluster, character: '%' }),
            ("aws.-stg.myapp", AppRefProblem::LeadingHyphen(Cluster)),
            ("aws.stg.myapp-", AppRefProblem::TrailingHyphen(App)),
        ];
        let mut messages = HashSet::new();
        let mut rules = HashSet::new();
        for (input, expected) in &cases {
            rules.insert(expected.to_string());
            let found = problem(input);
            assert_eq!(&found, expected, "input {input:?}");
            let message = input.parse::<AppRef>().unwrap_err().to_string();
            assert!(message.contains(&format!("{input:?}")), "message names the input: {message}");
            messages.insert(message);
        }
        assert_eq!(messages.len(), cases.len(), "every bad input gets a distinct message");
        assert!(rules.len() >= 16, "at least 16 distinct rules are exercised, got {}", rules.len());
    }

    #[test]
    fn messages_say_what_to_do() {
        let message = "AWS.stg.myapp".parse::<AppRef>().unwrap_err().to_string();
        assert_eq!(
            message,
            r#"invalid app reference "AWS.stg.myapp": the provider part contains uppercase 'A'; use lowercase letters"#
        );
    }

    #[test]
    fn serde_round_trips_as_a_string_and_validates() {
        let app: AppRef = serde_json::from_str(r#""aws.stg.myapp""#).unwrap();
        assert_eq!(serde_json::to_string(&app).unwrap(), r#""aws.stg.myapp""#);
        let error = serde_json::from_str::<AppRef>(r#""aws.stg.*""#).unwrap_err();
        assert!(error.to_string().contains("policy glob"), "{error}");
    }
}
