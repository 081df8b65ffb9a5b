//! Escaping text for the documents the writers produce: XML and HTML (also SVG), Markdown, and anchor slugs.
//!
//! Every string from the model passes through one of these before it reaches a document.

/// Escapes `text` for XML or HTML character data and for double- or single-quoted attribute values.
///
/// `&`, `<`, `>`, `"` and `'` become references; tab, newline and carriage return become character references
/// so attribute values keep them; other control characters (not allowed in XML 1.0 even as references) and
/// the non-characters U+FFFE and U+FFFF become U+FFFD.
pub(crate) fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Like [`xml`], but keeps newlines as they are: for element content that people read line by line.
pub(crate) fn xml_lines(text: &str) -> String {
    text.split('\n').map(xml).collect::<Vec<_>>().join("\n")
}

/// Escapes `text` for a Markdown table cell or paragraph: punctuation that Markdown or inline HTML would act
/// on gets a backslash, line breaks become spaces, control characters become U+FFFD.
pub(crate) fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `text` as a Markdown code span that is safe inside a table cell.
///
/// The fence is one backtick longer than the longest backtick run inside; `|` is escaped (GitHub applies table
/// pipe escapes inside code spans too); line breaks become spaces.
pub(crate) fn markdown_code(text: &str) -> String {
    let body: String = text
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect::<String>()
        .replace('|', "\\|");
    let fence = "`".repeat(longest_backtick_run(&body) + 1);
    let pad = if body.starts_with('`') || body.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// A lowercase anchor slug: ASCII letters and digits kept, every other run of characters becomes one `-`.
pub(crate) fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_quotes_and_control_characters() {
        assert_eq!(xml(r#"a<b>&"c"'d'"#), "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
        assert_eq!(xml("tab\tnl\ncr\r"), "tab&#9;nl&#10;cr&#13;");
        assert_eq!(
            xml("nul\u{0}bel\u{7}esc\u{1b}del\u{7f}\u{FFFF}"),
            "nul\u{FFFD}bel\u{FFFD}esc\u{FFFD}del\u{FFFD}\u{FFFD}"
        );
        assert_eq!(xml("ünïcødé ✓"), "ünïcødé ✓");
        assert_eq!(xml("]]>"), "]]&gt;");
    }

    #[test]
    fn xml_lines_keeps_line_breaks_only() {
        assert_eq!(xml_lines("a<\n\"b\"\t"), "a&lt;\n&quot;b&quot;&#9;");
    }

    #[test]
    fn markdown_escapes_pipes_and_inline_markup() {
        assert_eq!(markdown("a|b"), "a\\|b");
        assert_eq!(
            markdown("*x* _y_ <script> [l](u) `c`"),
            "\\*x\\* \\_y\\_ \\<script\\> \\[l\\](u) \\`c\\`"
        );
        assert_eq!(markdown("two\nlines\u{1}"), "two lines\u{FFFD}");
    }

    #[test]
    fn markdown_code_picks_a_longer_fence_and_escapes_pipes() {
        assert_eq!(
            markdown_code("ksnsim replay --seed 42"),
            "`ksnsim replay --seed 42`"
        );
        assert_eq!(markdown_code("a | b"), "`a \\| b`");
        assert_eq!(markdown_code("x `y` z"), "``x `y` z``");
        assert_eq!(markdown_code("`q`"), "`` `q` ``");
        assert_eq!(markdown_code("l1\nl2"), "`l1 l2`");
    }

    #[test]
    fn slugs_are_lowercase_words_joined_by_dashes() {
        assert_eq!(
            slug("features/proxy_cache.feature:12"),
            "features-proxy-cache-feature-12"
        );
        assert_eq!(slug("PX-CACHE-3/error-500"), "px-cache-3-error-500");
        assert_eq!(slug("--ünï--"), "n");
        assert_eq!(slug("///"), "");
    }
}
