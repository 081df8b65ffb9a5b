//! The sequence diagram of a trace, as inline SVG for the HTML report: what each host sent, and when.
//!
//! Hosts are lifelines in order of first appearance; requests, answers and DNS messages are arrows from `from`
//! to `to`, labelled with the summary and the time; state changes, faults (red) and notes are boxes on the
//! `from` lifeline. Integer coordinates and presentation attributes only: no ids, no CSS, no script, so many
//! diagrams can share one page. Long labels are cut with `…`; each event's full text is its tooltip.

use std::io::{self, Write};

use crate::escape::xml;
use crate::model::{EventKind, TraceEvent};

/// At most this many events are drawn; a note counts the rest.
pub(crate) const MAX_EVENTS: usize = 400;

const TIME_COLUMN: usize = 84;
const MIN_COLUMN: usize = 170;
const MAX_COLUMN: usize = 300;
const HEAD_TOP: usize = 8;
const HEAD_HEIGHT: usize = 28;
const FIRST_ROW: usize = 50;
const ROW: usize = 30;
const FONT: &str =
    r#"font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace""#;
const INK: &str = "#24292f";
const MUTED: &str = "#57606a";
const RED: &str = "#cf222e";

/// Width of `chars` characters of the 11px monospace font, in pixels (0.6 em each).
fn text_width(chars: usize) -> usize {
    chars * 33 / 5
}

/// How many characters fit in `pixels`.
fn chars_in(pixels: usize) -> usize {
    pixels * 5 / 33
}

/// `text` cut to `max` characters, ending in `…` when cut.
fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Where things go: the lifelines and their spacing.
struct Layout<'a> {
    hosts: Vec<&'a str>,
    column: usize,
}

impl<'a> Layout<'a> {
    fn new(events: &'a [TraceEvent]) -> Self {
        let mut hosts: Vec<&str> = Vec::new();
        for event in events {
            // `to` is empty for marks; `from` always names a lifeline, even when empty.
            let to = Some(event.to.as_str()).filter(|to| !to.is_empty());
            for host in std::iter::once(event.from.as_str()).chain(to) {
                if !hosts.contains(&host) {
                    hosts.push(host);
                }
            }
        }
        let mut layout = Self {
            hosts,
            column: MIN_COLUMN,
        };
        layout.column = layout.column_for(events);
        layout
    }

    /// Wide enough that most arrow labels fit between their lifelines, within bounds.
    fn column_for(&self, events: &[TraceEvent]) -> usize {
        let needed = events
            .iter()
            .filter(|event| event.kind.is_message() && !event.to.is_empty())
            .map(|event| {
                let span = self.index(&event.from).abs_diff(self.index(&event.to)).max(1);
                (text_width(event.summary.chars().count()) + 24).div_ceil(span)
            })
            .max()
            .unwrap_or(0);
        needed.clamp(MIN_COLUMN, MAX_COLUMN)
    }

    fn index(&self, host: &str) -> usize {
        self.hosts.iter().position(|known| *known == host).unwrap_or(0)
    }

    fn x(&self, host: &str) -> usize {
        TIME_COLUMN + self.column / 2 + self.index(host) * self.column
    }

    fn width(&self) -> usize {
        TIME_COLUMN + self.hosts.len().max(1) * self.column + 8
    }
}

/// Writes the diagram of `events`; the event equal to `violating` is drawn in red.
pub(crate) fn write_sequence_svg(
    events: &[TraceEvent],
    violating: Option<&TraceEvent>,
    out: &mut impl Write,
) -> io::Result<()> {
    let drawn = &events[..events.len().min(MAX_EVENTS)];
    let layout = Layout::new(drawn);
    let rows = drawn.len() + usize::from(events.len() > drawn.len());
    let height = FIRST_ROW + rows * ROW + 12;
    let width = layout.width();
    writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="sequence diagram of {} events" font-size="11" {FONT}>"#,
        events.len()
    )?;
    write_lifelines(&layout, height, out)?;
    for (row, event) in drawn.iter().enumerate() {
        let y = FIRST_ROW + row * ROW;
        write_event(&layout, event, y, violating == Some(event), out)?;
    }
    if events.len() > drawn.len() {
        let y = FIRST_ROW + drawn.len() * ROW + 18;
        let more = events.len() - drawn.len();
        writeln!(
            out,
            r#"<text x="8" y="{y}" fill="{MUTED}" font-style="italic">{more} more events not drawn</text>"#
        )?;
    }
    writeln!(out, "</svg>")
}

fn write_lifelines(layout: &Layout<'_>, height: usize, out: &mut impl Write) -> io::Result<()> {
    let box_width = layout.column - 24;
    for host in &layout.hosts {
        let x = layout.x(host);
        let name = if host.is_empty() { "(no host)" } else { host };
        writeln!(
            out,
            r##"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="#afb8c1" stroke-dasharray="4 4"/>"##,
            HEAD_TOP + HEAD_HEIGHT,
            height - 4
        )?;
        writeln!(
            out,
            r##"<rect x="{}" y="{HEAD_TOP}" width="{box_width}" height="{HEAD_HEIGHT}" rx="6" fill="#f6f8fa" stroke="#8c959f"/>"##,
            x - box_width / 2
        )?;
        writeln!(
            out,
            r#"<text x="{x}" y="{}" text-anchor="middle" font-weight="bold" fill="{INK}"><title>{}</title>{}</text>"#,
            HEAD_TOP + 18,
            xml(name),
            xml(&fit(name, chars_in(box_width - 12)))
        )?;
    }
    Ok(())
}

fn write_event(
    layout: &Layout<'_>,
    event: &TraceEvent,
    y: usize,
    violating: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    writeln!(out, "<g><title>{}</title>", xml(&event.to_string()))?;
    writeln!(
        out,
        r#"<text x="8" y="{}" fill="{MUTED}">{} ms</text>"#,
        y + 18,
        event.at_ms
    )?;
    if event.kind.is_message() && !event.to.is_empty() {
        if event.from == event.to {
            write_self_message(layout, event, y, violating, out)?;
        } else {
            write_arrow(layout, event, y, violating, out)?;
        }
    } else {
        write_mark(layout, event, y, violating, out)?;
    }
    writeln!(out, "</g>")
}

/// Line colour and dash pattern per message kind: requests solid, answers dashed, DNS purple.
fn message_style(kind: EventKind, violating: bool) -> (&'static str, &'static str) {
    let colour = match kind {
        _ if violating => RED,
        EventKind::Dns => "#8250df",
        _ => INK,
    };
    let dash = if kind == EventKind::Answer {
        r#" stroke-dasharray="6 3""#
    } else {
        ""
    };
    (colour, dash)
}

fn write_arrow(
    layout: &Layout<'_>,
    event: &TraceEvent,
    y: usize,
    violating: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let (from, to) = (layout.x(&event.from), layout.x(&event.to));
    let (colour, dash) = message_style(event.kind, violating);
    let line_y = y + 16;
    let weight = if violating { 2 } else { 1 };
    // The line stops at the arrowhead's base; the head points at the target lifeline.
    let (base, back) = if to > from {
        (to - 8, to - 8)
    } else {
        (to + 8, to + 8)
    };
    writeln!(
        out,
        r#"<line x1="{from}" y1="{line_y}" x2="{base}" y2="{line_y}" stroke="{colour}" stroke-width="{weight}"{dash}/>"#
    )?;
    writeln!(
        out,
        r#"<polygon points="{to},{line_y} {back},{} {back},{}" fill="{colour}"/>"#,
        line_y - 4,
        line_y + 4
    )?;
    let label = fit(&event.summary, chars_in(from.abs_diff(to).saturating_sub(16)));
    write_label((from + to) / 2, y + 11, &label, colour, violating, out)
}

fn write_self_message(
    layout: &Layout<'_>,
    event: &TraceEvent,
    y: usize,
    violating: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let x = layout.x(&event.from);
    let (colour, dash) = message_style(event.kind, violating);
    writeln!(
        out,
        r#"<path d="M {x} {} h 24 v 12 h -16" fill="none" stroke="{colour}"{dash}/><polygon points="{x},{} {},{} {},{}" fill="{colour}"/>"#,
        y + 6,
        y + 18,
        x + 8,
        y + 14,
        x + 8,
        y + 22
    )?;
    let room = (layout.column - 40).min(layout.width() - 4 - (x + 30));
    let label = fit(&event.summary, chars_in(room));
    let weight = if violating { r#" font-weight="bold""# } else { "" };
    writeln!(
        out,
        r#"<text x="{}" y="{}" fill="{colour}"{weight}>{}</text>"#,
        x + 30,
        y + 16,
        xml(&label)
    )
}

fn write_label(
    x: usize,
    y: usize,
    label: &str,
    colour: &str,
    bold: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let weight = if bold { r#" font-weight="bold""# } else { "" };
    writeln!(
        out,
        r#"<text x="{x}" y="{y}" text-anchor="middle" fill="{colour}"{weight}>{}</text>"#,
        xml(label)
    )
}

/// Box colours (fill, border, text) per mark kind: faults red, state blue, notes yellow.
fn mark_style(kind: EventKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        EventKind::Fault => ("#ffebe9", RED, "#82071e"),
        EventKind::State => ("#ddf4ff", "#54aeff", "#0a3069"),
        _ => ("#fff8c5", "#d4a72c", "#4d2d00"),
    }
}

/// A box on the `from` lifeline, kept inside the drawing area.
fn write_mark(
    layout: &Layout<'_>,
    event: &TraceEvent,
    y: usize,
    violating: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let (fill, border, ink) = mark_style(event.kind);
    let prefix = match event.kind {
        EventKind::Fault => "fault: ",
        _ => "",
    };
    // At most two columns wide, and never wider than the drawing area right of the time column.
    let room = (2 * layout.column - 24).min(layout.width() - TIME_COLUMN - 4);
    let text = fit(&format!("{prefix}{}", event.summary), chars_in(room - 16));
    let box_width = text_width(text.chars().count()) + 16;
    let right_most = layout.width() - 4 - box_width;
    let left = layout
        .x(&event.from)
        .saturating_sub(box_width / 2)
        .min(right_most)
        .max(TIME_COLUMN);
    let (stroke, weight) = if violating { (RED, 2) } else { (border, 1) };
    writeln!(
        out,
        r#"<rect x="{left}" y="{}" width="{box_width}" height="22" rx="4" fill="{fill}" stroke="{stroke}" stroke-width="{weight}"/>"#,
        y + 4
    )?;
    let bold = if violating { r#" font-weight="bold""# } else { "" };
    writeln!(
        out,
        r#"<text x="{}" y="{}" fill="{ink}"{bold}>{}</text>"#,
        left + 8,
        y + 19,
        xml(&text)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{event, failing_trace};

    fn svg(events: &[TraceEvent], violating: Option<&TraceEvent>) -> String {
        let mut out = Vec::new();
        write_sequence_svg(events, violating, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn hosts_appear_in_order_of_first_appearance() {
        let trace = failing_trace();
        let layout = Layout::new(&trace);
        assert_eq!(layout.hosts, ["global-ksn", "endpoint-1", "dp-proxy", "dns-1"]);
    }

    #[test]
    fn long_traces_are_capped_with_a_note() {
        let events: Vec<TraceEvent> = (0..MAX_EVENTS as u64 + 5)
            .map(|t| event(t, EventKind::Request, "a", "b", "GET /"))
            .collect();
        let text = svg(&events, None);
        assert!(text.contains(">5 more events not drawn</text>"));
        assert_eq!(text.matches("<g>").count(), MAX_EVENTS);
    }

    #[test]
    fn everything_is_escaped_and_the_violating_event_is_red() {
        let violating = event(
            3,
            EventKind::Answer,
            "a<b",
            "c&d",
            "<script>alert(\"x\")</script>",
        );
        let trace = vec![event(1, EventKind::Note, "a<b", "", "'note'"), violating.clone()];
        let text = svg(&trace, Some(&violating));
        assert!(!text.contains("<script>") && !text.contains("a<b"), "{text}");
        assert!(text.contains("&lt;script&gt;") && text.contains("c&amp;d"));
        assert!(
            text.contains(&format!(r#"stroke="{RED}" stroke-width="2""#)),
            "{text}"
        );
    }

    #[test]
    fn self_messages_and_empty_traces_draw() {
        let text = svg(&[event(0, EventKind::Request, "a", "a", "loop")], None);
        assert!(text.contains("<path") && text.contains(">loop</text>"));
        assert!(svg(&[], None).ends_with("</svg>\n"));
    }

    #[test]
    fn marks_stay_inside_a_one_host_drawing() {
        let text = svg(
            &[event(0, EventKind::Note, "solo", "", &"long note ".repeat(40))],
            None,
        );
        let width: usize = text
            .split("width=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let rect = text.split("<rect").nth(2).unwrap();
        let attr = |name: &str| -> usize {
            rect.split(&format!(" {name}=\""))
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        assert!(
            attr("x") >= TIME_COLUMN && attr("x") + attr("width") <= width,
            "{rect} in {width}"
        );
    }

    #[test]
    fn labels_are_cut_to_fit() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 3), "abc");
        assert_eq!(fit("abc", 0), "…");
    }
}
