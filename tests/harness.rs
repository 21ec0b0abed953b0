//! The test harness's own pieces, checked where they are not obvious.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::html::Html;

#[test]
fn selectors_match_as_in_a_browser() {
    let page = Html::parse(
        r#"<!doctype html><html lang="kk"><body>
        <table class="runs wide"><tr><td class="status">Open</td><td>2 <b>of</b> 3</td></tr></table>
        <form><input name="capacity" value="2"><input type="radio" value="female" checked></form>
        <p>Outside <span class="status">No</span></p>
        <a href="/login?next=%2F&amp;lang=uz" rel="prev nofollow">Back</a>
        </body></html>"#,
    );
    let texts = |s: &str| page.select(s).iter().map(|e| e.text()).collect::<Vec<_>>();
    assert_eq!(texts("table.runs td.status"), ["Open"]);
    assert_eq!(texts("table.runs.wide > tbody > tr > td"), ["Open", "2 of 3"]);
    assert_eq!(texts(".status"), ["Open", "No"]);
    assert_eq!(texts("p > .status, td.status"), ["Open", "No"]);
    assert!(page.select("table > td").is_empty(), "a child, not any descendant");
    assert_eq!(page.select("html")[0].attr("lang"), Some("kk"));
    assert_eq!(page.select("input[name=capacity][value='2']").len(), 1);
    assert_eq!(page.select("input[value=\"female\"][checked]").len(), 1);
    assert_eq!(page.select("input[name=capacity][checked]").len(), 0);
    assert_eq!(
        page.select("a[rel~=prev]")[0].attr("href"),
        Some("/login?next=%2F&lang=uz")
    );
    assert_eq!(page.select("a[href^='/login'][href$=uz][href*=next]").len(), 1);
    assert!(page.select("a[rel=prev]").is_empty());
}

#[test]
#[should_panic(expected = "not supported")]
fn unsupported_selectors_are_refused() {
    Html::parse("<p>x</p>").select("p:first-child");
}
