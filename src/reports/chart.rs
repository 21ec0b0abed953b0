//! The reports page's bar charts, laid out here and drawn by the template as HTML
//! (a label, the value and a `<progress>` bar per line), so the page needs no
//! JavaScript and the text keeps the page's size on a phone, where a scaled SVG's
//! labels shrank to an unreadable 6 px.

use serde::Serialize;

use super::report::Report;
use crate::i18n::{self, label, Locale};

/// A horizontal bar of a chart.
#[derive(Serialize)]
pub struct Bar {
    label: String,
    value: String,
    /// The bar's length: the value in whole per cent, within 0–100.
    percent: u8,
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
}

impl Chart {
    /// A chart of `(label, per cent, kind)` values, one bar each.
    fn of(name: &'static str, locale: Locale, values: Vec<(String, f64, &'static str)>) -> Chart {
        let bars: Vec<Bar> = values
            .into_iter()
            .map(|(label, value, kind)| Bar {
                label,
                value: i18n::format_percent(locale, value),
                // Clamped to 0–100 first, so the conversion neither wraps nor truncates.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                percent: value.clamp(0.0, 100.0).round() as u8,
                kind,
            })
            .collect();
        Chart {
            name,
            title: i18n::t(locale, &format!("reports.{name}_chart_title")),
            description: i18n::t(locale, &format!("reports.{name}_chart_description")),
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
