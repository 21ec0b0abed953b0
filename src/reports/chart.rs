//! The reports page's bar charts, laid out here and drawn by the template as SVG, so
//! the page needs no JavaScript.

use serde::Serialize;

use super::report::Report;
use crate::i18n::{self, label, Locale};

/// A horizontal bar of a chart, in the chart's own units.
#[derive(Serialize)]
pub struct Bar {
    label: String,
    value: String,
    width: f64,
    y: usize,
    /// A modifier of the bar's style, such as "pre" for pre-test bars; may be empty.
    kind: &'static str,
}

/// A bar chart of percentages.
#[derive(Serialize)]
pub struct Chart {
    name: &'static str,
    title: String,
    description: String,
    bars: Vec<Bar>,
    height: usize,
}

/// The distance between the tops of two bars, room for a label line and the bar.
const BAR_PITCH: usize = 28;
/// The width of a bar at 100 %, leaving room for the value at the right.
const PLOT_WIDTH: f64 = 560.0;

impl Chart {
    /// A chart of `(label, per cent, kind)` values, one bar each.
    fn of(name: &'static str, locale: Locale, values: Vec<(String, f64, &'static str)>) -> Chart {
        let bars: Vec<Bar> = values
            .into_iter()
            .enumerate()
            .map(|(i, (label, value, kind))| Bar {
                label,
                value: i18n::format_percent(locale, value),
                width: value.clamp(0.0, 100.0) / 100.0 * PLOT_WIDTH,
                y: i * BAR_PITCH,
                kind,
            })
            .collect();
        Chart {
            name,
            title: i18n::t(locale, &format!("reports.{name}_chart_title")),
            description: i18n::t(locale, &format!("reports.{name}_chart_description")),
            height: bars.len() * BAR_PITCH,
            bars,
        }
    }
}

/// The page's charts, in the order it shows them.
pub fn charts(report: &Report, locale: Locale) -> [Chart; 2] {
    [completion_chart(report, locale), gain_chart(report, locale)]
}

fn completion_chart(report: &Report, locale: Locale) -> Chart {
    let values = report
        .figures
        .runs
        .iter()
        .enumerate()
        // A rate from a count the reader may not see would give the count away.
        .filter(|(i, _)| !report.figures.hides("runs", *i, "completed"))
        .filter_map(|(_, (run, f))| {
            let course = report.course_title(&run.course_id);
            let label = format!("{course} · {}", i18n::format_date_short(run.starts_on));
            Some((label, f.completion_rate()?, ""))
        })
        .collect();
    Chart::of("completion", locale, values)
}

/// Pre-test and final-test means per country, one pair of bars each.
fn gain_chart(report: &Report, locale: Locale) -> Chart {
    let pre = i18n::t(locale, "reports.pre_test");
    let post = i18n::t(locale, "reports.post_test");
    let mut values = Vec::new();
    for g in super::gain_per_country(&report.figures.gains) {
        let country = label(locale, "countries", &g.country);
        if let Some(mean) = g.pre_test {
            values.push((format!("{country} · {pre}"), mean, "pre"));
        }
        if let Some(mean) = g.post_test {
            values.push((format!("{country} · {post}"), mean, ""));
        }
    }
    Chart::of("gain", locale, values)
}
