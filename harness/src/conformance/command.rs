//! The proxy command of `--proxy-cmd`: split into words with simple shell-like quoting, checked for its
//! placeholders, and filled in for each proxy ksnsim starts.
//!
//! Quoting: words are separated by white space; `'...'` is literal; `"..."` is literal except that `\"` and
//! `\\` stand for `"` and `\`; outside quotes, `\` takes the next character literally. No variables, globs
//! or pipes: the command is run directly, not through a shell (wrap it in `sh -c '...'` if you need one).

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ksnsim_reference::http::ServerUrl;

/// The placeholders every proxy command must carry.
pub const PLACEHOLDERS: [&str; 3] = ["{listen}", "{upstream}", "{ca}"];

/// A proxy command that cannot be used; the message says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error(
        "the command is empty: give the program and its arguments, e.g. 'ksn-proxy --listen {{listen}} --upstream {{upstream}} --ca {{ca}}'"
    )]
    Empty,
    #[error("a {quote} quote is not closed: close it, or escape it with a backslash")]
    UnclosedQuote { quote: char },
    #[error("the command ends in a lone backslash: remove it, or quote it")]
    TrailingBackslash,
    #[error(
        "the placeholder {placeholder} is missing: the command must use {{listen}} (address to accept clients on), \
         {{upstream}} (URL of ksnsim's KSN server) and {{ca}} (PEM file of ksnsim's CA)"
    )]
    MissingPlaceholder { placeholder: &'static str },
    #[error("the program {program:?} is not found{where_}: give its path, or add its folder to PATH")]
    ProgramNotFound { program: String, where_: String },
}

/// What ksnsim puts in place of the placeholders for one proxy it starts.
#[derive(Debug, Clone)]
pub struct Placeholders {
    pub listen: SocketAddr,
    pub upstream: ServerUrl,
    pub ca: PathBuf,
}

/// A checked proxy command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyCommand {
    template: String,
    words: Vec<String>,
}

impl ProxyCommand {
    /// Splits `template` and checks that it has every placeholder.
    pub fn parse(template: &str) -> Result<Self, CommandError> {
        let words = split_words(template)?;
        if words.is_empty() {
            return Err(CommandError::Empty);
        }
        for placeholder in PLACEHOLDERS {
            if !words.iter().any(|word| word.contains(placeholder)) {
                return Err(CommandError::MissingPlaceholder { placeholder });
            }
        }
        Ok(Self {
            template: template.to_owned(),
            words,
        })
    }

    /// The command as the user wrote it.
    pub fn template(&self) -> &str {
        &self.template
    }

    /// The program, as written (first word).
    pub fn program(&self) -> &str {
        self.words.first().map_or("", String::as_str)
    }

    /// The program's file name, to name the implementation in reports (`ksn-proxy`).
    pub fn program_name(&self) -> String {
        Path::new(self.program()).file_name().map_or_else(
            || self.program().to_owned(),
            |name| name.to_string_lossy().into_owned(),
        )
    }

    /// The program's path: as given when it contains a `/`, else the first match on `PATH`.
    pub fn resolve_program(&self) -> Result<PathBuf, CommandError> {
        let program = self.program();
        let not_found = |where_: String| CommandError::ProgramNotFound {
            program: program.to_owned(),
            where_,
        };
        if program.contains('/') {
            let path = PathBuf::from(program);
            return if path.is_file() {
                Ok(path)
            } else {
                Err(not_found(String::new()))
            };
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
            .ok_or_else(|| not_found(" on PATH".to_owned()))
    }

    /// The words with the placeholders filled in.
    pub fn fill(&self, values: &Placeholders) -> Vec<String> {
        let ca = values.ca.display().to_string();
        self.words
            .iter()
            .map(|word| {
                word.replace("{listen}", &values.listen.to_string())
                    .replace("{upstream}", &values.upstream.to_string())
                    .replace("{ca}", &ca)
            })
            .collect()
    }
}

impl fmt::Display for ProxyCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.template)
    }
}

/// Splits a command line into words (see the module documentation for the quoting rules).
pub fn split_words(text: &str) -> Result<Vec<String>, CommandError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(CommandError::UnclosedQuote { quote: '\'' }),
                    }
                }
            }
            '"' => {
                in_word = true;
                double_quoted(&mut chars, &mut word)?;
            }
            '\\' => {
                in_word = true;
                word.push(chars.next().ok_or(CommandError::TrailingBackslash)?);
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Reads up to the closing `"`, taking `\"` and `\\` as escapes.
fn double_quoted(chars: &mut std::str::Chars<'_>, word: &mut String) -> Result<(), CommandError> {
    loop {
        match chars.next() {
            Some('"') => return Ok(()),
            Some('\\') => match chars.next() {
                Some(c @ ('"' | '\\')) => word.push(c),
                Some(c) => {
                    word.push('\\');
                    word.push(c);
                }
                None => return Err(CommandError::UnclosedQuote { quote: '"' }),
            },
            Some(c) => word.push(c),
            None => return Err(CommandError::UnclosedQuote { quote: '"' }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_a_simple_shell() {
        let words = split_words(r#"a  'b c' "d \"e\" \\ \x" f\ g '' h"#).unwrap();
        assert_eq!(words, ["a", "b c", r#"d "e" \ \x"#, "f g", "", "h"]);
        assert_eq!(split_words("  ").unwrap(), Vec::<String>::new());
        assert_eq!(
            split_words("'open").unwrap_err(),
            CommandError::UnclosedQuote { quote: '\'' }
        );
        assert_eq!(
            split_words("\"open").unwrap_err(),
            CommandError::UnclosedQuote { quote: '"' }
        );
        assert_eq!(split_words("x\\").unwrap_err(), CommandError::TrailingBackslash);
    }

    #[test]
    fn placeholders_are_required_and_filled_inside_words() {
        let command =
            ProxyCommand::parse("/opt/acme/proxy --listen={listen} -u '{upstream}' --ca {ca}").unwrap();
        assert_eq!(command.program_name(), "proxy");
        let filled = command.fill(&Placeholders {
            listen: "127.0.0.1:4000".parse().unwrap(),
            upstream: "https://127.0.0.1:4001".parse().unwrap(),
            ca: PathBuf::from("/tmp/my ca/ca.pem"),
        });
        assert_eq!(
            filled,
            [
                "/opt/acme/proxy",
                "--listen=127.0.0.1:4000",
                "-u",
                "https://127.0.0.1:4001",
                "--ca",
                "/tmp/my ca/ca.pem"
            ]
        );
        let err = ProxyCommand::parse("proxy {listen} {upstream}").unwrap_err();
        assert_eq!(err, CommandError::MissingPlaceholder { placeholder: "{ca}" });
        assert!(err.to_string().contains("{ca}"), "{err}");
        assert_eq!(ProxyCommand::parse(" ").unwrap_err(), CommandError::Empty);
    }

    #[test]
    fn programs_are_found_on_path_or_by_their_path() {
        let sh = ProxyCommand::parse("sh {listen} {upstream} {ca}").unwrap();
        assert!(sh.resolve_program().unwrap().is_file());
        let missing = ProxyCommand::parse("no-such-proxy-xyz {listen} {upstream} {ca}").unwrap();
        let err = missing.resolve_program().unwrap_err();
        assert!(err.to_string().contains("no-such-proxy-xyz"), "{err}");
        let by_path = ProxyCommand::parse("/nonexistent/proxy {listen} {upstream} {ca}").unwrap();
        assert!(by_path.resolve_program().is_err());
    }
}
