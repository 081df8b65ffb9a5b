//! The JUnit XML writer, for release CI: one `<testsuite>` per group, one `<testcase>` per item.
//!
//! Failing items carry the message, the first violating event, the seed and the replay command in their
//! `<failure>`; errored items get `<error>`; n/a and not-tested items get `<skipped>`. No timestamps and no
//! times: the same report always gives the same bytes.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::escape::{xml, xml_lines};
use crate::fold::Totals;
use crate::model::{ItemReport, RunReport, Verdict};

/// Writes `run` as a JUnit XML document.
pub fn write_junit(run: &RunReport, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        "<testsuites name=\"{}\"{}>",
        xml(&run.name),
        counts(&run.totals())
    )?;
    for (group, items) in groups(run) {
        write_suite(run, group, &items, out)?;
    }
    writeln!(out, "</testsuites>")
}

/// Items by group, groups in name order, items in id order.
fn groups(run: &RunReport) -> BTreeMap<&str, Vec<&ItemReport>> {
    let mut groups: BTreeMap<&str, Vec<&ItemReport>> = BTreeMap::new();
    for item in run.sorted_items() {
        groups.entry(item.group.as_str()).or_default().push(item);
    }
    groups
}

fn counts(totals: &Totals) -> String {
    format!(
        r#" tests="{}" failures="{}" errors="{}" skipped="{}""#,
        totals.total(),
        totals.fail,
        totals.error,
        totals.not_applicable + totals.not_tested
    )
}

fn write_suite(run: &RunReport, group: &str, items: &[&ItemReport], out: &mut impl Write) -> io::Result<()> {
    let totals = Totals::of(items.iter().map(|item| item.verdict));
    writeln!(out, "  <testsuite name=\"{}\"{}>", xml(group), counts(&totals))?;
    writeln!(out, "    <properties>")?;
    property(out, 6, "kind", run.kind.as_str())?;
    if let Some(implementation) = &run.implementation {
        property(out, 6, "implementation", implementation)?;
    }
    if let Some(seed) = run.seed {
        property(out, 6, "seed", &seed.to_string())?;
    }
    writeln!(out, "    </properties>")?;
    for item in items {
        write_case(item, out)?;
    }
    writeln!(out, "  </testsuite>")
}

fn property(out: &mut impl Write, indent: usize, name: &str, value: &str) -> io::Result<()> {
    writeln!(
        out,
        "{:indent$}<property name=\"{}\" value=\"{}\"/>",
        "",
        xml(name),
        xml(value)
    )
}

fn write_case(item: &ItemReport, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\">",
        xml(&item.group),
        xml(&item.name)
    )?;
    write_case_properties(item, out)?;
    let message = item.failure.as_ref().map(|failure| failure.message.as_str());
    match item.verdict {
        Verdict::Pass => {}
        Verdict::Fail => write_problem("failure", message.unwrap_or("failed"), item, out)?,
        Verdict::Error => write_problem(
            "error",
            message.unwrap_or("the harness could not judge"),
            item,
            out,
        )?,
        Verdict::NotApplicable | Verdict::NotTested => {
            let label = if item.verdict == Verdict::NotTested {
                "not tested"
            } else {
                "not applicable"
            };
            let reason = match message {
                Some(message) => format!("{label}: {message}"),
                None => label.to_owned(),
            };
            writeln!(out, "      <skipped message=\"{}\"/>", xml(&reason))?;
        }
    }
    if !item.evidence.is_empty() {
        writeln!(
            out,
            "      <system-out>{}</system-out>",
            xml_lines(&item.evidence.join("\n"))
        )?;
    }
    writeln!(out, "    </testcase>")
}

fn write_case_properties(item: &ItemReport, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "      <properties>")?;
    property(out, 8, "id", &item.id)?;
    for requirement in &item.requirements {
        property(out, 8, "requirement", requirement.as_str())?;
    }
    if let Some(level) = item.level {
        property(out, 8, "level", level.as_str())?;
    }
    if let Some(seed) = item.seed {
        property(out, 8, "seed", &seed.to_string())?;
    }
    if let Some(digest) = &item.trace_digest {
        property(out, 8, "trace_digest", digest)?;
    }
    writeln!(out, "      </properties>")
}

/// A `<failure>` or `<error>` element: the message as attribute, and a body a person can act on.
fn write_problem(element: &str, message: &str, item: &ItemReport, out: &mut impl Write) -> io::Result<()> {
    write!(
        out,
        "      <{element} message=\"{}\" type=\"{}\">",
        xml(message),
        item.verdict.as_str()
    )?;
    write!(out, "{}", xml_lines(&problem_text(message, item)))?;
    writeln!(out, "</{element}>")
}

fn problem_text(message: &str, item: &ItemReport) -> String {
    let mut lines = vec![message.to_owned()];
    let failure = item.failure.as_ref();
    if let Some(requirement) = failure.and_then(|failure| failure.requirement.as_ref()) {
        lines.push(format!("requirement: {requirement}"));
    }
    if let Some(event) = failure.and_then(|failure| failure.event.as_ref()) {
        lines.push(format!("first violating event: {event}"));
    }
    if let Some(seed) = item.seed {
        lines.push(format!("seed: {seed}"));
    }
    if let Some(digest) = &item.trace_digest {
        lines.push(format!("trace digest: {digest}"));
    }
    if let Some(replay) = &item.replay {
        lines.push(format!("replay: {replay}"));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::fixture;

    fn written(run: &RunReport) -> String {
        let mut out = Vec::new();
        write_junit(run, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fixture_junit_snapshot() {
        insta::assert_snapshot!(written(&fixture()));
    }

    #[test]
    fn same_report_same_bytes_whatever_the_item_order() {
        let mut shuffled = fixture();
        shuffled.items.reverse();
        assert_eq!(written(&shuffled), written(&fixture()));
    }

    #[test]
    fn failure_text_has_message_event_seed_and_replay() {
        let text = written(&fixture());
        let failure = text
            .split("<failure")
            .nth(1)
            .unwrap()
            .split("</failure>")
            .next()
            .unwrap();
        for expected in [
            "status 500 was stored &amp; served",
            "first violating event: 41 ms state",
            "seed: 42",
        ] {
            assert!(failure.contains(expected), "missing {expected:?} in {failure}");
        }
        assert!(
            failure.contains("replay: ksnsim conformance --proxy &#39;./acme-proxy --config &quot;a b.toml")
        );
    }
}
