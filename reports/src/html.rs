//! The HTML writer: one self-contained page per run, for field engineers and vendors reading a result.
//!
//! Inline CSS, no script, no external assets, fonts or links; opens from a CI artifact or an e-mail. The page:
//! title and totals, the requirement matrix (each covering item linked to its `#item-<slug>` anchor), every item
//! with a verdict badge, and for items that failed or kept a trace, the message, replay command and a sequence
//! diagram (`sequence_svg.rs`). Every string from the model is escaped.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use crate::escape::{slug, xml};
use crate::fold::Totals;
use crate::model::{ItemReport, RunReport, Verdict};
use crate::sequence_svg::write_sequence_svg;

const STYLE: &str = "\
:root{color-scheme:light;--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;padding:24px 32px 48px;font:14px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:var(--ink);background:#fff}
main{max-width:1280px;margin:0 auto}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:0;display:flex;gap:8px;align-items:baseline;flex-wrap:wrap}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,'DejaVu Sans Mono',monospace;font-size:12.5px}
a{color:#0969da;text-decoration:none}a:hover{text-decoration:underline}
.facts{color:var(--muted);margin:0 0 12px}
.totals{display:flex;gap:8px;flex-wrap:wrap;margin:0}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid var(--line);padding:6px 10px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
td.links a{margin-right:10px;white-space:nowrap}
td.rid{white-space:nowrap}
.badge{display:inline-block;min-width:64px;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;text-align:center;white-space:nowrap;border:1px solid transparent}
.pass{background:#dafbe1;color:#116329;border-color:#aceebb}
.fail{background:#ffebe9;color:#a40e26;border-color:#ffcecb}
.error{background:#fff8c5;color:#7d4e00;border-color:#f5e0a0}
.not_applicable{background:#eaeef2;color:#424a53;border-color:#d1d9e0}
.not_tested{background:#fff;color:#59636e;border-color:#d1d9e0;border-style:dashed}
.none{background:#fff;color:#8c959f}
.item{border:1px solid var(--line);border-left:4px solid var(--line);border-radius:6px;padding:10px 14px;margin:10px 0}
.item.v-fail{border-left-color:#cf222e}.item.v-error{border-left-color:#bf8700}.item.v-pass{border-left-color:#1a7f37}
.item:target{box-shadow:0 0 0 3px #54aeff66}
.meta{display:flex;flex-wrap:wrap;gap:4px 20px;margin:6px 0 0;color:var(--muted)}
.meta span b{font-weight:600;color:var(--ink)}
.failure{margin:10px 0 0;padding:8px 12px;background:#fff5f5;border:1px solid #ffcecb;border-radius:6px;white-space:pre-wrap}
.failure.v-error{background:#fffbe6;border-color:#f5e0a0}
.failure.v-not_applicable,.failure.v-not_tested{background:var(--soft);border-color:var(--line)}
.replay{margin:8px 0 0}.replay code{display:inline-block;padding:2px 6px;background:var(--soft);border:1px solid var(--line);border-radius:4px;white-space:pre-wrap;word-break:break-all}
ul.evidence{margin:8px 0 0;padding-left:20px}
figure{margin:12px 0 0;overflow-x:auto;border:1px solid var(--line);border-radius:6px;padding:8px;background:#fff}
figcaption{color:var(--muted);font-size:12px;margin-bottom:4px}
.cell{text-align:center;font-weight:600;white-space:nowrap}
";

/// Writes `run` as one self-contained HTML page.
pub fn write_html(run: &RunReport, out: &mut impl Write) -> io::Result<()> {
    let items = run.sorted_items();
    let anchors = anchors(&items);
    write_page_start(&format!("ksnsim {} report: {}", run.kind, run.name), out)?;
    write_header(run, out)?;
    write_matrix(run, &items, &anchors, out)?;
    writeln!(out, "<h2>Items</h2>")?;
    for (item, anchor) in items.iter().zip(&anchors) {
        write_item(run, item, anchor, out)?;
    }
    write_page_end(out)
}

/// The document head and the opening of `<main>`; shared with the comparison page.
pub(crate) fn write_page_start(title: &str, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
    )?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(
        out,
        "<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>",
        xml(title)
    )
}

pub(crate) fn write_page_end(out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "</main>\n</body>\n</html>")
}

/// A coloured verdict badge.
pub(crate) fn badge(verdict: Verdict) -> String {
    format!(
        r#"<span class="badge {}">{}</span>"#,
        verdict.as_str(),
        verdict.label()
    )
}

/// One anchor per item, in the order given: `item-<slug of id>`, with `-2`, `-3`… if two ids slug alike.
fn anchors(items: &[&ItemReport]) -> Vec<String> {
    let mut taken: BTreeSet<String> = BTreeSet::new();
    items
        .iter()
        .map(|item| {
            let base = format!("item-{}", slug(&item.id));
            let mut anchor = base.clone();
            let mut n = 1;
            while taken.contains(&anchor) {
                n += 1;
                anchor = format!("{base}-{n}");
            }
            taken.insert(anchor.clone());
            anchor
        })
        .collect()
}

fn write_header(run: &RunReport, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "<header>\n<h1>{}</h1>", xml(&run.name))?;
    let mut facts = vec![format!("{} run", run.kind)];
    if let Some(implementation) = &run.implementation {
        facts.push(format!("implementation <b>{}</b>", xml(implementation)));
    }
    if let Some(seed) = run.seed {
        facts.push(format!("seed <code>{seed}</code>"));
    }
    facts.push(format!("{} items", run.items.len()));
    facts.push(format!("format {}", run.format_version));
    writeln!(out, "<p class=\"facts\">{}</p>", facts.join(" · "))?;
    writeln!(out, "{}\n</header>", totals_badges(&run.totals()))
}

/// The totals as badges, leaving out verdicts nobody got.
pub(crate) fn totals_badges(totals: &Totals) -> String {
    let verdicts = [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::Error,
        Verdict::NotApplicable,
        Verdict::NotTested,
    ];
    let badges: Vec<String> = verdicts
        .iter()
        .filter(|verdict| totals.count(**verdict) > 0)
        .map(|verdict| {
            format!(
                r#"<span class="badge {}">{} {}</span>"#,
                verdict.as_str(),
                totals.count(*verdict),
                verdict.label()
            )
        })
        .collect();
    format!("<p class=\"totals\">{}</p>", badges.join(" "))
}

fn write_matrix(
    run: &RunReport,
    items: &[&ItemReport],
    anchors: &[String],
    out: &mut impl Write,
) -> io::Result<()> {
    writeln!(out, "<h2>Requirements</h2>")?;
    if run.catalogue.is_empty() {
        return writeln!(out, "<p>This run has no requirement catalogue.</p>");
    }
    let mut anchor_of: BTreeMap<&str, &str> = BTreeMap::new();
    for (item, anchor) in items.iter().zip(anchors) {
        anchor_of.entry(item.id.as_str()).or_insert(anchor.as_str());
    }
    writeln!(out, "<table class=\"matrix\">")?;
    writeln!(
        out,
        "<tr><th>id</th><th>level</th><th>requirement</th><th>verdict</th><th>covered by</th></tr>"
    )?;
    for row in run.requirement_matrix() {
        let links: Vec<String> = row
            .items
            .iter()
            .map(|id| {
                format!(
                    r##"<a href="#{}"><code>{}</code></a>"##,
                    anchor_of.get(id.as_str()).unwrap_or(&""),
                    xml(id)
                )
            })
            .collect();
        let requirement = &row.requirement;
        writeln!(
            out,
            "<tr><td class=\"rid\"><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td class=\"links\">{}</td></tr>",
            requirement.id,
            requirement.level,
            xml(&requirement.text),
            badge(row.verdict),
            if links.is_empty() {
                "—".to_owned()
            } else {
                links.join(" ")
            }
        )?;
    }
    writeln!(out, "</table>")
}

fn write_item(run: &RunReport, item: &ItemReport, anchor: &str, out: &mut impl Write) -> io::Result<()> {
    let verdict = item.verdict.as_str();
    writeln!(out, r#"<article class="item v-{verdict}" id="{}">"#, xml(anchor))?;
    writeln!(
        out,
        "<h3>{} <code>{}</code> <span>{}</span></h3>",
        badge(item.verdict),
        xml(&item.id),
        xml(&item.name)
    )?;
    write_item_meta(run, item, out)?;
    write_failure(item, out)?;
    if let Some(replay) = &item.replay {
        writeln!(
            out,
            "<p class=\"replay\">replay: <code>{}</code></p>",
            xml(replay)
        )?;
    }
    if !item.evidence.is_empty() {
        let lines: Vec<String> = item
            .evidence
            .iter()
            .map(|line| format!("<li>{}</li>", xml(line)))
            .collect();
        writeln!(out, "<ul class=\"evidence\">{}</ul>", lines.join(""))?;
    }
    if !item.trace.is_empty() || item.verdict == Verdict::Fail {
        write_diagram(item, out)?;
    }
    writeln!(out, "</article>")
}

fn write_item_meta(run: &RunReport, item: &ItemReport, out: &mut impl Write) -> io::Result<()> {
    let mut meta = vec![format!("<span>group <b>{}</b></span>", xml(&item.group))];
    if !item.requirements.is_empty() {
        let ids: Vec<&str> = item.requirements.iter().map(|id| id.as_str()).collect();
        meta.push(format!("<span>requirements <b>{}</b></span>", ids.join(", ")));
    }
    meta.push(format!("<span>level <b>{}</b></span>", run.gating_level(item)));
    if let Some(seed) = item.seed {
        meta.push(format!("<span>seed <b class=\"mono\">{seed}</b></span>"));
    }
    if let Some(ms) = item.sim_time_ms {
        meta.push(format!("<span>sim time <b>{ms} ms</b></span>"));
    }
    if let Some(digest) = &item.trace_digest {
        meta.push(format!("<span>trace digest <code>{}</code></span>", xml(digest)));
    }
    writeln!(out, "<div class=\"meta\">{}</div>", meta.join(""))
}

fn write_failure(item: &ItemReport, out: &mut impl Write) -> io::Result<()> {
    let Some(failure) = &item.failure else {
        return Ok(());
    };
    let mut text = xml(&failure.message);
    if let Some(requirement) = &failure.requirement {
        text.push_str(&format!("\n<b>requirement</b> {requirement}"));
    }
    if let Some(event) = &failure.event {
        text.push_str(&format!(
            "\n<b>first violating event</b> <code>{}</code>",
            xml(&event.to_string())
        ));
    }
    writeln!(
        out,
        r#"<div class="failure v-{}">{text}</div>"#,
        item.verdict.as_str()
    )
}

fn write_diagram(item: &ItemReport, out: &mut impl Write) -> io::Result<()> {
    if item.trace.is_empty() {
        return writeln!(out, "<p class=\"facts\">No trace was kept for this item.</p>");
    }
    let violating = item.failure.as_ref().and_then(|failure| failure.event.as_ref());
    let marked = if violating.is_some() {
        "; the first violating event in bold red"
    } else {
        ""
    };
    writeln!(out, "<figure>")?;
    writeln!(
        out,
        "<figcaption>Trace, {} events: solid arrow request, dashed arrow answer, purple DNS; boxes: red fault, \
         blue state, yellow note{marked}. Hover for the full text.</figcaption>",
        item.trace.len()
    )?;
    write_sequence_svg(&item.trace, violating, out)?;
    writeln!(out, "</figure>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::fixture;

    fn written(run: &RunReport) -> String {
        let mut out = Vec::new();
        write_html(run, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fixture_html_snapshot() {
        insta::assert_snapshot!(written(&fixture()));
    }

    #[test]
    fn page_is_self_contained() {
        let page = written(&fixture());
        for external in [
            "<script", "<link", "src=", "@import", "url(", "http://", "https://",
        ] {
            let allowed =
                external == "http://" && page.matches(external).count() == page.matches("xmlns=").count();
            assert!(allowed || !page.contains(external), "page contains {external}");
        }
    }

    #[test]
    fn every_matrix_link_has_its_anchor() {
        let page = written(&fixture());
        for link in page.split("href=\"#").skip(1) {
            let anchor = link.split('"').next().unwrap();
            assert!(page.contains(&format!("id=\"{anchor}\"")), "no anchor {anchor}");
        }
    }

    #[test]
    fn colliding_slugs_get_numbered_anchors() {
        let items: Vec<ItemReport> = ["a/b", "a:b", "a-b-2"]
            .iter()
            .map(|id| ItemReport::new(*id, "", "", Verdict::Pass))
            .collect();
        let refs: Vec<&ItemReport> = items.iter().collect();
        assert_eq!(anchors(&refs), ["item-a-b", "item-a-b-2", "item-a-b-2-2"]);
    }
}
