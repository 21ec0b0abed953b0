//! Fuzzing of every parser that reads files people upload or write: the GIFT parser,
//! the Markdown pipeline (sections, national adaptations, law references), front
//! matter and TOML, the CSV importer and the Moodle XML converter.
//!
//! Stable Rust has no cargo-fuzz, so these are proptest properties whose inputs mix
//! random text with the syntax of each format, to reach deep into the parsers. The
//! same code runs a short pass in `cargo test` and the long pass of `.ci/fuzz-long`:
//!
//! - `BILIM_FUZZ_CASES` (default 2048): cases per target;
//! - `BILIM_FUZZ_SECONDS`: instead, run each target for this many seconds;
//! - `BILIM_FUZZ_SEED` (default fixed): the seed, printed with every failure, so a
//!   failure is reproduced by running again with the seed it names.
//!
//! Every property holds that the parser does not panic, plus cheap invariants. A
//! crash found here becomes a named regression test in the format's own test file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::time::{Duration, Instant};

use bilim::courses::format::{self, CourseToml, LawEntry, ModuleFrontMatter, OverrideFrontMatter};
use bilim::courses::law::{self, LawBook};
use bilim::courses::markdown::{self, LinkContext, LAW_MARKER_END, LAW_MARKER_START};
use bilim::courses::sections;
use bilim::enrolment::bulk;
use bilim::error::AppError;
use bilim::i18n::Locale;
use bilim::quizzes::format::QuizToml;
use bilim::quizzes::{gift, import, moodle};
use html5ever::tendril::TendrilSink;
use markup5ever_rcdom::{Handle, NodeData, RcDom};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};

/// Cases per round when running for a time budget.
const ROUND: u32 = 500;

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Runs `property` on inputs from `strategy` for the configured cases or seconds,
/// shrinking any failure to a small input and naming the seed that reproduces it.
fn fuzz<S>(target: &str, strategy: S, property: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: Debug,
{
    let seconds = env_number("BILIM_FUZZ_SECONDS");
    let cases = env_number("BILIM_FUZZ_CASES").unwrap_or(2048);
    let seed = env_number("BILIM_FUZZ_SEED").unwrap_or(0x00b1_11b1);
    let started = Instant::now();
    let mut total: u64 = 0;
    let mut round: u64 = 0;
    loop {
        let round_cases = match seconds {
            Some(_) => ROUND,
            None => u32::try_from(cases).unwrap_or(u32::MAX),
        };
        let round_seed = seed.wrapping_add(round);
        let mut config = Config::with_cases(round_cases);
        config.rng_seed = RngSeed::Fixed(round_seed);
        config.failure_persistence = None;
        config.max_shrink_time = 120_000;
        let mut runner = TestRunner::new(config);
        match runner.run(&strategy, &property) {
            Ok(()) => {}
            Err(TestError::Fail(reason, value)) => panic!(
                "{target}: {reason}\nreproduce with BILIM_FUZZ_SEED={round_seed} BILIM_FUZZ_CASES={round_cases}\nminimal input: {value:?}"
            ),
            Err(TestError::Abort(reason)) => panic!("{target}: aborted: {reason}"),
        }
        total += u64::from(round_cases);
        round += 1;
        match seconds {
            Some(budget) if started.elapsed() < Duration::from_secs(budget) => {}
            _ => break,
        }
    }
    eprintln!(
        "fuzz {target}: {total} cases in {:.1} s, seed {seed}",
        started.elapsed().as_secs_f64()
    );
}

/// Text from pieces: mostly the given syntax, some words, some arbitrary characters.
fn text_of(syntax: &'static [&'static str], words: &'static str, max: usize) -> BoxedStrategy<String> {
    let piece = prop_oneof![
        6 => prop::sample::select(syntax).prop_map(str::to_owned),
        3 => proptest::string::string_regex(words).expect("a valid pattern"),
        1 => "\\PC{0,6}",
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..max)
        .prop_map(|pieces| pieces.concat())
        .boxed()
}

fn locale() -> impl Strategy<Value = Locale> {
    prop::sample::select(Locale::ALL.to_vec())
}

fn line_count(text: &str) -> usize {
    text.split('\n').count()
}

/// What a browser would run in `html`, parsed as a browser parses it: a script, a
/// frame, a style, an event handler or a `javascript:`/`data:` address.
fn unsafe_html(html: &str) -> Option<String> {
    fn walk(node: &Handle) -> Option<String> {
        if let NodeData::Element { name, attrs, .. } = &node.data {
            let tag = name.local.to_string();
            if ["script", "iframe", "frame", "style", "object", "embed", "form", "base"].contains(&tag.as_str()) {
                return Some(format!("<{tag}>"));
            }
            for attr in attrs.borrow().iter() {
                let key = attr.name.local.to_string().to_ascii_lowercase();
                let value: String = attr.value.chars().filter(|c| !c.is_whitespace()).collect();
                let value = value.to_ascii_lowercase();
                if key.starts_with("on") || key == "style" {
                    return Some(format!("attribute {key}"));
                }
                if value.starts_with("javascript:") || value.starts_with("data:") || value.starts_with("vbscript:") {
                    return Some(format!("{key}={value}"));
                }
            }
        }
        node.children.borrow().iter().find_map(walk)
    }
    let dom = html5ever::parse_document(RcDom::default(), Default::default()).one(html);
    walk(&dom.document)
}

// GIFT ----------------------------------------------------------------------------

const GIFT_SYNTAX: &[&str] = &[
    "::",
    "::q1::",
    "::Q-2::",
    ":: ::",
    "{",
    "}",
    "{}",
    "=",
    "~",
    "#",
    "####",
    "->",
    "\\",
    "\\{",
    "\\}",
    "\\=",
    "\\~",
    "\\#",
    "\\:",
    "\\n",
    "%50%",
    "%-100%",
    "%33.33333%",
    "%abc%",
    "%",
    ":",
    "..",
    "1..2",
    "\n",
    "\n\n",
    " ",
    "\t",
    "\r\n",
    "T",
    "F",
    "TRUE",
    "FALSE",
    "{T}",
    "{F#no#yes}",
    "[markdown]",
    "[html]",
    "[plain]",
    "[moodle]",
    "// a comment\n",
    "$CATEGORY: $course$/x\n",
    "{#",
    "{#3:0.5}",
    "{#1..5}",
    "{#2.5}",
    "{=a -> b",
    "=x#feedback",
    "~%25%y",
    "{=1 =2}",
    "<b>",
    "<script>alert(1)</script>",
    "**bold**",
    "{{law:x}}",
];

fn gift_text() -> BoxedStrategy<String> {
    let question = (
        "[a-z0-9-]{0,6}",
        "[A-Za-zа-я ?]{0,12}",
        prop::collection::vec(
            (
                prop::sample::select(vec!["=", "~", "~%50%", "=%100%", "->", "#"]),
                "[a-zа-я0-9 .]{0,6}",
            ),
            0..5,
        ),
    )
        .prop_map(|(id, text, answers)| {
            let answers: String = answers.into_iter().map(|(mark, a)| format!("{mark}{a} ")).collect();
            format!("::{id}::{text} {{{answers}}}\n\n")
        });
    prop::collection::vec(
        prop_oneof![2 => text_of(GIFT_SYNTAX, "[a-zа-я0-9 ]{0,8}", 12), 1 => question],
        0..8,
    )
    .prop_map(|parts| parts.concat())
    .boxed()
}

#[test]
fn the_gift_parser_survives_anything_and_reports_lines_within_the_file() {
    fuzz("gift", (gift_text(), locale()), |(text, language)| {
        let (questions, errors) = gift::parse(&text);
        let lines = line_count(&text);
        for error in &errors {
            prop_assert!(
                (1..=lines).contains(&error.line),
                "error line {} outside 1..={lines}",
                error.line
            );
            prop_assert!(!error.message.is_empty());
        }
        for question in &questions {
            prop_assert!(gift::is_valid_id(&question.id), "invalid id {:?}", question.id);
            let _ = gift::answer_key(question);
            let html = import::render_text(question.format, &question.text, language, "course");
            if let Some(problem) = unsafe_html(&html) {
                return Err(TestCaseError::fail(format!("{problem} in {html}")));
            }
        }
        Ok(())
    });
}

// Markdown, sections, adaptations and law references ------------------------------

const MARKDOWN_SYNTAX: &[&str] = &[
    "## Offences {#offences}",
    "## Case study {#case-study}",
    "## Heading {#}",
    "## {#x}",
    "## Без id",
    "## ",
    "# Title",
    "### Smaller {#small}",
    "{#",
    "}",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "> [!NOTE]\n> ",
    "> [!WARNING]\n> ",
    "> [!CAUTION]\n> ",
    "> [!LEGAL]\n> ",
    "> [!LEGAL]",
    "> [!LEGAL] {{law:csam}}",
    "> ",
    ">> ",
    "{{law:unauthorised_access}}",
    "{{law:",
    "}}",
    "{{law:}}",
    "{{law:{{law:x}}}}",
    "\u{E000}",
    "\u{E001}",
    "```",
    "```\n## Not a heading {#code}\n```",
    "~~~",
    "    indented code",
    "|a|b|\n|---|---|\n|1|2|",
    "text[^1]",
    "[^1]: the note",
    "![Diagram](scene-diagram.png)",
    "[next](../02-legal-framework/)",
    "[sec](#case-study)",
    "[bad](javascript:alert(1))",
    "[data](data:text/html,<script>alert(1)</script>)",
    "[up](../../etc/passwd)",
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//x></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=//x></iframe>",
    "<style>body{}</style>",
    "<!-- comment -->",
    "<!--",
    "<details><summary>s</summary>",
    "**",
    "*",
    "~~",
    "_",
    "`",
    "- ",
    "1. ",
    "99999999999. ",
    "+++",
    "---",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "\\",
    "<",
    "[",
    "](",
    ")",
];

fn markdown_text() -> BoxedStrategy<String> {
    text_of(MARKDOWN_SYNTAX, "[A-Za-zа-яё0-9 .,]{0,10}", 60)
}

fn render_checked(text: &str, language: Locale) -> Result<String, TestCaseError> {
    // As the loader reads files: LF line endings.
    let text = &sections::normalise_line_endings(text);
    let split = sections::split(text, 1);
    for section in &split.sections {
        prop_assert!((1..=line_count(text)).contains(&section.line));
        prop_assert_eq!(section.fingerprint.len(), 12);
    }
    let ids: Vec<String> = split.sections.iter().map(|s| s.id.clone()).collect();
    let folders = vec![("02-legal-framework".to_owned(), "legal-framework".to_owned())];
    let links = LinkContext {
        course_id: "course",
        module_id: "module",
        module_folders: &folders,
    };
    let rendered = markdown::render(text, language, &ids, &links);
    if let Some(problem) = unsafe_html(&rendered.html) {
        return Err(TestCaseError::fail(format!("{problem} in {}", rendered.html)));
    }
    let authored_markers = text.matches([LAW_MARKER_START, LAW_MARKER_END]).count();
    prop_assert!(
        law::concepts_in(&rendered.html).len() <= rendered.law_references.len() || authored_markers > 0,
        "markers without references"
    );
    let book = LawBook::new(Vec::new());
    for country in [None, Some("kz"), Some("xx")] {
        let filled = book.fill(&rendered.html, country, language);
        if let Some(problem) = unsafe_html(&filled) {
            return Err(TestCaseError::fail(format!("{problem} in {filled}")));
        }
    }
    Ok(rendered.html)
}

#[test]
fn the_markdown_pipeline_survives_anything_and_writes_no_script() {
    fuzz("markdown", (markdown_text(), locale()), |(text, language)| {
        render_checked(&text, language)?;
        Ok(())
    });
}

#[test]
fn national_adaptations_merge_and_render_whatever_the_texts() {
    fuzz(
        "adaptation",
        (
            markdown_text(),
            markdown_text(),
            text_of(FRONT_MATTER_SYNTAX, "[a-z0-9-]{0,8}", 12),
            locale(),
        ),
        |(base, adaptation, front, language)| {
            let file = format!("+++\n{front}\n+++\n{adaptation}");
            let file = sections::normalise_line_endings(&file);
            let (body, first_line) = match format::split_front_matter(&file) {
                Ok(split) => {
                    if let Err(error) = toml::from_str::<OverrideFrontMatter>(split.front_matter) {
                        let (line, _) = format::toml_error_position(split.front_matter, &error);
                        prop_assert!((1..=line_count(split.front_matter)).contains(&line));
                    }
                    (split.body.to_owned(), split.body_first_line)
                }
                Err(_) => (file.clone(), 1),
            };
            let replacements = sections::split(&body, first_line).sections;
            for section in &replacements {
                prop_assert!(section.line >= first_line);
            }
            let merged = sections::split(&base, 1).merged_with(&replacements);
            render_checked(&merged, language)?;
            Ok(())
        },
    );
}

/// Found by the long run of 2026-12-07 (seed 20261298): a law reference in an image's
/// alt text was filled in as a link inside the attribute, whose quotes ended it and let
/// the rest of the alt text become elements (a stored script).
#[test]
fn a_law_reference_in_an_image_description_cannot_open_an_element() {
    for text in [
        "## Offences {#offences}![{{law:}}<script>alert(1)</script>\\[next](../02-legal-framework/)",
        "## A {#a}\n\n![{{law:csam}}<script>alert(1)</script>](scheme.png)",
        "## A {#a}\n\n![x](scheme.png \"{{law:csam}}<script>alert(1)</script>\")",
    ] {
        for language in [Locale::Ru, Locale::Kk] {
            render_checked(text, language).unwrap();
        }
    }
}

// Front matter and TOML -------------------------------------------------------------

const FRONT_MATTER_SYNTAX: &[&str] = &[
    "+++\n",
    "+++",
    "---\n",
    "\u{feff}",
    "\n",
    "\r\n",
    "title = \"What is cybercrime\"\n",
    "title = 1\n",
    "minutes = 45\n",
    "minutes = -1\n",
    "minutes = 99999999999999999999\n",
    "outcomes = [\"a\", \"b\"]\n",
    "outcomes = [\n",
    "]\n",
    "[based_on]\n",
    "legal-framework = \"3f2a9c1b7d4e\"\n",
    "version = \"1.0\"\n",
    "version = 1.0\n",
    "hours = 1e308\n",
    "hours = nan\n",
    "hours = inf\n",
    "audience = [\"police\"]\n",
    "[title]\n",
    "[summary]\n",
    "en = \"x\"\n",
    "ru = \"Курс\"\n",
    "[completion]\n",
    "modules = \"all\"\n",
    "quizzes = [\"final\"]\n",
    "min_score = 80\n",
    "valid_years = 3\n",
    "certificate = \"run_only\"\n",
    "pass_mark = 70\n",
    "show_answers = \"never\"\n",
    "pick = 4294967296\n",
    "[unauthorised_access]\n",
    "article = \"205\"\n",
    "verified = false\n",
    "[unauthorised_access.code]\n",
    "\"\"\"",
    "'''",
    "\"\\u0000\"",
    "\"\\uD800\"",
    "[[a]]\n",
    "a.b.c = 1\n",
    "= ",
    "#",
    "1979-05-27T07:32:00Z",
    "{ a = 1 }",
    "[",
    "]",
    "\"",
    "'",
    "\\",
];

fn check_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<(), TestCaseError> {
    if let Err(error) = toml::from_str::<T>(text) {
        let (line, message) = format::toml_error_position(text, &error);
        prop_assert!((1..=line_count(text)).contains(&line), "line {line} of {text:?}");
        prop_assert!(!message.trim().is_empty(), "no message for {text:?}: {error}");
    }
    Ok(())
}

#[test]
fn front_matter_and_toml_are_read_or_refused_with_a_line() {
    fuzz(
        "front-matter",
        text_of(FRONT_MATTER_SYNTAX, "[a-z_]{0,6}( = )?[0-9]{0,3}", 40),
        |text| {
            let text = sections::normalise_line_endings(&text);
            if let Ok(split) = format::split_front_matter(&text) {
                prop_assert!(split.front_matter.len() + split.body.len() <= text.len());
                prop_assert!((2..=line_count(&text) + 1).contains(&split.body_first_line));
                check_toml::<ModuleFrontMatter>(split.front_matter)?;
                check_toml::<OverrideFrontMatter>(split.front_matter)?;
            }
            check_toml::<CourseToml>(&text)?;
            check_toml::<QuizToml>(&text)?;
            check_toml::<BTreeMap<String, LawEntry>>(&text)?;
            Ok(())
        },
    );
}

// The CSV importer --------------------------------------------------------------------

const CSV_SYNTAX: &[&[u8]] = &[
    b"email,full name,category,position,language,gender\n",
    "Эл. почта;ФИО;Категория\n".as_bytes(),
    b"officer@police.kz",
    b"a@b",
    b"@",
    b"Aigerim Bekova",
    "Иванов Иван".as_bytes(),
    b"police",
    b"investigator",
    b"ru",
    "Русский".as_bytes(),
    b"female",
    b"m",
    b",",
    b";",
    b"\t",
    b"\"",
    b"\"\"",
    b"\"line\nbreak\"",
    b"\"a;b,c\"",
    b"\n",
    b"\r\n",
    b"\r",
    b"\xEF\xBB\xBF",
    // "Иванов" in Windows-1251, and a byte it leaves undefined.
    b"\xC8\xE2\xE0\xED\xEE\xE2",
    b"\x98",
    b"\x00",
    b"\x01",
    b"\x1b[31m",
    b"\x7f",
    "\u{202e}".as_bytes(),
    b"=HYPERLINK(\"x\")",
    b" ",
];

fn csv_bytes() -> BoxedStrategy<Vec<u8>> {
    let piece = prop_oneof![
        6 => prop::sample::select(CSV_SYNTAX).prop_map(<[u8]>::to_vec),
        3 => "[A-Za-zа-я0-9 .@-]{0,10}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..4),
    ];
    prop::collection::vec(piece, 0..80)
        .prop_map(|pieces| pieces.concat())
        .boxed()
}

#[test]
fn the_csv_importer_reads_or_refuses_any_file_with_a_client_error() {
    fuzz(
        "csv",
        (csv_bytes(), locale()),
        |(bytes, language)| match bulk::check_file(&bytes, language) {
            Ok(rows) => {
                let text = bulk::decode(&bytes);
                let lines = text.split(['\n', '\r']).count();
                prop_assert!(!rows.is_empty());
                prop_assert!(rows.len() <= lines, "{} rows from {lines} lines", rows.len());
                for (line, problem) in &rows {
                    prop_assert!((1..=lines).contains(line), "line {line} of {lines}");
                    if let Some(problem) = problem {
                        prop_assert!(!problem.is_empty());
                    }
                }
                Ok(())
            }
            Err(AppError::BadRequest(_) | AppError::PayloadTooLarge) => Ok(()),
            Err(other) => Err(TestCaseError::fail(format!("not a client error: {other:?}"))),
        },
    );
}

// The Moodle XML converter -------------------------------------------------------------

const MOODLE_TYPES: &[&str] = &[
    "multichoice",
    "truefalse",
    "shortanswer",
    "numerical",
    "matching",
    "essay",
    "description",
    "category",
    "calculated",
    "ddwtos",
    "cloze",
    "",
    "MULTICHOICE",
];

const XML_TEXT: &[&str] = &[
    "<![CDATA[<p>text <b>bold</b></p>]]>",
    "<![CDATA[]]>",
    "<![CDATA[{=a ~b} :: # ~ =]]>",
    "&amp;",
    "&lt;script&gt;",
    "&#x41;",
    "&#0;",
    "&#xFFFFFFFF;",
    "&#55296;",
    "&unknown;",
    "&",
    "{",
    "}",
    "=",
    "~",
    "#",
    "::",
    "\\",
    "->",
    "true",
    "false",
    "1",
    "64",
    "1e400",
    "NaN",
    "-0",
    "$course$/Категория",
    "\n",
    "<",
    "]]>",
];

const XML_CORRUPTION: &[&str] = &[
    "<",
    "</",
    ">",
    "/>",
    "]]>",
    "<![CDATA[",
    "<!DOCTYPE quiz [<!ENTITY x \"y\">]>",
    "<?xml version=\"1.0\"?>",
    "<!-- c -->",
    "&",
    "\"",
    "'",
    "<quiz>",
    "</quiz>",
    "<question>",
    "</question>",
    "<text>",
    "</text>",
];

fn xml_text() -> BoxedStrategy<String> {
    text_of(XML_TEXT, "[A-Za-zа-я0-9 .,?]{0,10}", 6)
}

fn xml_element() -> BoxedStrategy<String> {
    let text = xml_text();
    let format = prop::sample::select(vec!["html", "markdown", "plain_text", "moodle_auto_format", "x", ""]);
    let fraction = prop::sample::select(vec!["100", "50", "0", "-100", "33.33333", "-33.3", "abc", "1e400", ""]);
    prop_oneof![
        text.clone().prop_map(|t| format!("<name><text>{t}</text></name>")),
        (format.clone(), text.clone()).prop_map(|(f, t)| format!(
            "<questiontext format=\"{f}\"><text>{t}</text><file name=\"a.png\" path=\"/\" encoding=\"base64\">iVBORw0KGgo=</file></questiontext>"
        )),
        text.clone().prop_map(|t| format!("<generalfeedback><text>{t}</text></generalfeedback>")),
        prop::sample::select(vec!["true", "false", "1", "0", ""]).prop_map(|s| format!("<single>{s}</single>")),
        (fraction.clone(), format.clone(), text.clone(), text.clone()).prop_map(|(fr, f, t, fb)| format!(
            "<answer fraction=\"{fr}\" format=\"{f}\"><text>{t}</text><feedback><text>{fb}</text></feedback></answer>"
        )),
        (fraction, text.clone(), text.clone())
            .prop_map(|(fr, t, tol)| format!("<answer fraction=\"{fr}\"><text>{t}</text><tolerance>{tol}</tolerance></answer>")),
        (text.clone(), text.clone()).prop_map(|(l, r)| format!(
            "<subquestion format=\"html\"><text>{l}</text><answer><text>{r}</text></answer></subquestion>"
        )),
        text.clone().prop_map(|t| format!("<category><text>{t}</text></category>")),
        text.prop_map(|t| format!("<file name=\"x\" encoding=\"base64\">{t}</file>")),
    ]
    .boxed()
}

fn moodle_xml() -> BoxedStrategy<String> {
    let question = (
        prop::sample::select(MOODLE_TYPES),
        prop::collection::vec(xml_element(), 0..8),
    )
        .prop_map(|(kind, children)| format!("<question type=\"{kind}\">{}</question>\n", children.concat()));
    let body = prop::collection::vec(question, 0..6).prop_map(|questions| questions.concat());
    let corruption = prop::collection::vec(
        (any::<prop::sample::Index>(), prop::sample::select(XML_CORRUPTION)),
        0..3,
    );
    (any::<bool>(), body, corruption)
        .prop_map(|(declaration, body, corruption)| {
            let prefix = if declaration {
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            } else {
                ""
            };
            let mut xml = format!("{prefix}<quiz>\n{body}</quiz>\n");
            for (at, piece) in corruption {
                let mut index = at.index(xml.len() + 1);
                while !xml.is_char_boundary(index) {
                    index -= 1;
                }
                xml.insert_str(index, piece);
            }
            xml
        })
        .boxed()
}

#[test]
fn the_moodle_converter_survives_anything_and_its_gift_is_read_back() {
    let input = prop_oneof![4 => moodle_xml(), 1 => text_of(XML_CORRUPTION, "[a-z ]{0,6}", 30)];
    fuzz("moodle", input, |xml| {
        if let Ok(conversion) = moodle::convert(&xml) {
            prop_assert!(conversion.converted <= xml.matches("<question").count());
            let (questions, _errors) = gift::parse(&conversion.gift);
            for question in &questions {
                prop_assert!(gift::is_valid_id(&question.id));
            }
        }
        Ok(())
    });
}
