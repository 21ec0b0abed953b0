//! The course format: the validator's messages and line numbers, section fingerprints,
//! overrides, Markdown rendering and sanitisation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use bilim::courses::load::{self, Severity};
use bilim::courses::markdown::{self, LinkContext};
use bilim::i18n::Locale;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/courses/valid")
}

fn write(root: &Path, relative: &str, content: impl AsRef<[u8]>) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// `relative:line: severity: message` lines, with the root made relative.
fn diagnostics(root: &Path) -> Vec<String> {
    load::load(root)
        .diagnostics
        .all()
        .iter()
        .map(|d| {
            let severity = if d.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            format!(
                "{}:{}: {severity}: {}",
                d.path.strip_prefix(root).unwrap().display(),
                d.line,
                d.message
            )
        })
        .collect()
}

fn has(lines: &[String], prefix: &str, needle: &str) -> bool {
    lines.iter().any(|l| l.starts_with(prefix) && l.contains(needle))
}

#[test]
fn the_valid_fixture_has_no_errors() {
    let catalogue = load::load(&fixture());
    assert!(
        !catalogue.diagnostics.has_errors(),
        "{:#?}",
        catalogue.diagnostics.all()
    );
    assert_eq!(catalogue.courses.len(), 2);
    let demo = catalogue.courses.iter().find(|c| c.id == "demo-course").unwrap();
    let ids: Vec<_> = demo.modules.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        ["intro", "evidence"],
        "the NN- prefix orders modules and is not part of the id"
    );
}

#[test]
fn each_kind_of_error_is_reported_at_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "_law/kz.toml", "[unauthorised_access]\narticle = \"205\"\nsource = \"https://adilet.zan.kz\"\nverified = true\ncode = { ru = \"УК РК\" }\ntitle = { ru = \"Доступ\" }\n");
    write(root, "_law/fr.toml", "");
    write(root, "bad/course.toml", "version = \"1\"\nhours = 3\naudience = [\"police\", \"astronaut\"]\n[title]\nen = \"Bad\"\n[summary]\nen = \"S\"\n");
    write(
        root,
        "bad2/course.toml",
        "version = \"1\"\nhours = 3\naudience = [\"police\"]\n[title]\nen = \"Bad\"\n",
    );
    write(
        root,
        "bad2/01-x/en.md",
        "+++\ntitle = \"X\"\nminutes = 1\noutcomes = [\"x\"]\n+++\n",
    );
    write(
        root,
        "bad/01-a/en.md",
        "+++\ntitle = \"A\"\noutcomes = [\"x\"]\n+++\n\nText.\n",
    );
    write(
        root,
        "bad/02-b/ru.md",
        "+++\ntitle = \"B\"\nminutes = 5\noutcomes = [\"x\"]\n+++\n\nСсылка на {{law:nope}}.\n\n[модуль](../09-missing/)\n![схема](missing.png)\n\n## Раздел {#dup}\n\n## Снова {#dup}\n",
    );
    write(
        root,
        "bad/02-b/national/kz/ru.md",
        "+++\n[based_on]\ndup = \"000000000000\"\n+++\n\n## Нет такого {#absent}\n\nТекст.\n",
    );
    write(
        root,
        "bad/03-c/fr.md",
        "+++\ntitle = \"C\"\nminutes = 1\noutcomes = [\"x\"]\n+++\n",
    );
    write(
        root,
        "bad/04-b/en.md",
        "+++\ntitle = \"B again\"\nminutes = 1\noutcomes = [\"x\"]\n+++\n",
    );
    write(
        root,
        "bad/05-d/en.md",
        [b"+++\ntitle = \"D\"\nminutes = 1\noutcomes = [\"x\"]\n+++\nfine\n\xff\xfe broken\n".as_slice()].concat(),
    );
    write(root, "bad/06-e/en.md", "no front matter here\n");
    write(
        root,
        "bad/07-f/en.md",
        "+++\ntitle = \"F\"\nminutes = 1\noutcomes = [\"x\"]\n+++\n[evil](javascript:alert(1))\n",
    );
    let lines = diagnostics(root);
    let expectations = [
        ("_law/fr.toml:1: error:", "unknown country"),
        ("bad/course.toml:3: error:", "unknown audience `astronaut`"),
        ("bad2/course.toml:1: error:", "missing field `summary`"),
        ("bad/01-a/en.md:", "missing field `minutes`"),
        ("bad/02-b/ru.md:7: error:", "{{law:nope}} names an unknown concept"),
        ("bad/02-b/ru.md:9: error:", "no module folder `09-missing`"),
        ("bad/02-b/ru.md:10: error:", "no file `missing.png`"),
        (
            "bad/02-b/ru.md:14: error:",
            "duplicate section id `dup` (also at line 12)",
        ),
        (
            "bad/02-b/national/kz/ru.md:6: error:",
            "section `absent` does not exist in ru.md",
        ),
        ("bad/03-c/fr.md:1: error:", "unknown language file `fr.md`"),
        ("bad/03-c:1: error:", "neither en.md nor ru.md"),
        ("bad/04-b:1: error:", "duplicate module id `b`"),
        ("bad/05-d/en.md:7: error:", "not valid UTF-8"),
        ("bad/06-e/en.md:1: error:", "missing front matter"),
        ("bad/07-f/en.md:6: error:", "`javascript:alert(1)` is not allowed"),
    ];
    for (prefix, needle) in expectations {
        assert!(
            has(&lines, prefix, needle),
            "expected `{prefix} …{needle}…` in:\n{}",
            lines.join("\n")
        );
    }
}

#[test]
fn a_completion_rule_may_name_only_modules_and_quizzes_the_course_has() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "c/course.toml",
        "version = \"1\"\nhours = 1\naudience = [\"police\"]\n[title]\nen = \"C\"\n[summary]\nen = \"S\"\n[completion]\nmodules = [\"intro\", \"ghost\"]\nquizzes = [\"absent\"]\nmin_score = 120\n",
    );
    write(
        root,
        "c/01-intro/en.md",
        "+++\ntitle = \"Intro\"\nminutes = 1\noutcomes = [\"x\"]\n+++\n\nText.\n",
    );
    let lines = diagnostics(root);
    for needle in [
        "names module `ghost`",
        "names quiz `absent`",
        "min_score must be a percentage",
    ] {
        assert!(
            has(&lines, "c/course.toml:8: error:", needle),
            "expected {needle} in:\n{}",
            lines.join("\n")
        );
    }
    assert!(!lines.iter().any(|l| l.contains("`intro`")), "{}", lines.join("\n"));
}

#[test]
fn the_certificate_setting_is_always_or_run_only_and_an_unreadable_completion_rule_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let course = |certificate: &str, completion: &str| {
        format!(
            "version = \"1\"\nhours = 1\naudience = [\"police\"]\n{certificate}\n[title]\nen = \"C\"\n[summary]\nen = \"S\"\n{completion}\n"
        )
    };
    let module = "+++\ntitle = \"Intro\"\nminutes = 1\noutcomes = [\"x\"]\n+++\n\nText.\n";
    write(root, "runs/course.toml", course("certificate = \"run_only\"", ""));
    write(root, "runs/01-intro/en.md", module);
    write(root, "always/course.toml", course("certificate = \"always\"", ""));
    write(root, "always/01-intro/en.md", module);
    write(root, "sometimes/course.toml", course("certificate = \"sometimes\"", ""));
    write(root, "sometimes/01-intro/en.md", module);
    write(
        root,
        "unreadable/course.toml",
        course("", "[completion]\nmodules = 3\n"),
    );
    write(root, "unreadable/01-intro/en.md", module);
    let lines = diagnostics(root);
    assert!(
        !lines.iter().any(|l| l.starts_with("runs/") || l.starts_with("always/")),
        "{}",
        lines.join("\n")
    );
    assert!(
        has(
            &lines,
            "sometimes/course.toml:4: error:",
            "unknown variant `sometimes`, expected `always` or `run_only`"
        ),
        "{}",
        lines.join("\n")
    );
    assert!(
        has(&lines, "unreadable/course.toml:9: error:", "[completion] is not valid"),
        "{}",
        lines.join("\n")
    );
}

#[test]
fn a_changed_base_section_makes_its_adaptation_outdated() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture(), dir.path());
    let base = dir.path().join("demo-course/01-intro/ru.md");
    assert!(!diagnostics(dir.path()).iter().any(|l| l.contains("outdated")));
    let text = std::fs::read_to_string(&base)
        .unwrap()
        .replace("наказывается по", "преследуется по");
    std::fs::write(&base, text).unwrap();
    let lines = diagnostics(dir.path());
    assert!(
        has(
            &lines,
            "demo-course/01-intro/national/kz/ru.md:6: warning:",
            "outdated: section `legal`"
        ),
        "{}",
        lines.join("\n")
    );
    assert!(
        !load::load(dir.path()).diagnostics.has_errors(),
        "outdated is a warning, not an error"
    );
}

#[test]
fn unverified_law_entries_are_warnings() {
    let lines = diagnostics(&fixture());
    assert!(has(
        &lines,
        "_law/uz.toml:1: warning:",
        "unauthorised_access is not verified"
    ));
    assert!(
        !lines.iter().any(|l| l.starts_with("_law/kz.toml:1:")),
        "a verified entry is not reported"
    );
}

#[test]
fn a_law_entry_without_a_note_in_its_readers_language_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&fixture(), root);
    write(
        root,
        "_law/kg.toml",
        "[unauthorised_access]\narticle = \"\"\nsource = \"https://cbd.minjust.gov.kg\"\nverified = false\ncode = { ru = \"УК КР\", ky = \"КР Кылмыш-жаза кодекси\" }\ntitle = { ru = \"Доступ\", ky = \"Кирүү\" }\nnote = { ru = \"Номер уточняется\" }\n",
    );
    let lines = diagnostics(root);
    assert!(
        has(
            &lines,
            "_law/kg.toml:1: warning:",
            "unauthorised_access has no note in `ky`"
        ),
        "{lines:#?}"
    );
    assert!(
        !has(&lines, "_law/kg.toml:1: warning:", "has no title"),
        "the title is there"
    );
}

#[test]
fn a_single_choice_key_much_longer_than_every_distractor_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&fixture(), root);
    write(
        root,
        "demo-course/quizzes/check/en.gift",
        "::cued:: What first? {=Isolate the phone from the network and record every step you take ~Wait ~Call}\n\n::fair:: What next? {=Isolate the phone ~Switch it off ~Ask the owner}\n",
    );
    let lines = diagnostics(root);
    assert!(
        has(
            &lines,
            "demo-course/quizzes/check/en.gift:1: warning:",
            "question `cued`"
        ),
        "{lines:#?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("question `fair`")),
        "comparable options pass"
    );
}

#[test]
fn the_check_command_prints_problems_and_exits_with_1_on_errors() {
    let ok = std::process::Command::new(env!("CARGO_BIN_EXE_bilim"))
        .args(["courses", "check"])
        .arg(fixture())
        .output()
        .unwrap();
    assert!(ok.status.success());
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x/course.toml", "hours = \"many\"\n");
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_bilim"))
        .args(["courses", "check"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&bad.stdout);
    assert!(stdout.contains("x/course.toml:1: error: invalid TOML"), "{stdout}");
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn render(markdown: &str) -> String {
    let folders = vec![("02-next".to_owned(), "next".to_owned())];
    let links = LinkContext {
        course_id: "c",
        module_id: "m",
        module_folders: &folders,
    };
    markdown::render(markdown, Locale::En, &[], &links).html
}

#[test]
fn markdown_renders_tables_footnotes_strikethrough_headings_and_links() {
    let html = render(
        "## Intro {#start}\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ text[^n]\n\n### Sub heading\n\n[next](../02-next/#x) ![pic](p.png)\n\n[^n]: note\n",
    );
    assert!(html.contains("<h2 id=\"start\">Intro</h2>"), "{html}");
    assert!(html.contains("<table>") && html.contains("<td>1</td>"));
    assert!(html.contains("<del>old</del>"));
    assert!(html.contains("id=\"sub-heading\""));
    assert!(html.contains("href=\"/courses/c/next#x\""));
    assert!(html.contains("src=\"/courses/c/m/files/p.png\""));
    assert!(html.contains("footnote"), "{html}");
}

#[test]
fn admonitions_become_labelled_boxes_in_the_text_language() {
    let html = render("> [!NOTE]\n> Remember this.\n\n> [!WARNING]\n> Careful.\n\n> [!LEGAL]\n> National law decides.\n\n> Plain quote.\n");
    assert!(
        html.contains("<aside class=\"admonition admonition--note\"><p class=\"admonition__title\">Note</p>"),
        "{html}"
    );
    assert!(html.contains("admonition--warning") && html.contains("Careful."));
    assert!(html.contains("admonition--legal") && html.contains("National law decides.") && !html.contains("[!LEGAL]"));
    assert!(html.contains("<blockquote>") && html.contains("Plain quote."));
    let folders = Vec::new();
    let links = LinkContext {
        course_id: "c",
        module_id: "m",
        module_folders: &folders,
    };
    let russian = markdown::render("> [!WARNING]\n> Осторожно.\n", Locale::Ru, &[], &links).html;
    assert!(russian.contains("Внимание"), "{russian}");
}

#[test]
fn law_references_become_markers_except_in_code() {
    let folders = Vec::new();
    let links = LinkContext {
        course_id: "c",
        module_id: "m",
        module_folders: &folders,
    };
    let rendered = markdown::render(
        "Under {{law:computer_fraud}}.\n\n`{{law:csam}}`\n",
        Locale::En,
        &[],
        &links,
    );
    assert_eq!(
        rendered.law_concepts().into_iter().collect::<Vec<_>>(),
        ["computer_fraud"]
    );
    assert!(rendered.html.contains("\u{E000}computer_fraud\u{E001}"));
    assert!(rendered.html.contains("<code>{{law:csam}}</code>"));
    let forged = markdown::render("Fake \u{E000}csam\u{E001} marker", Locale::En, &[], &links);
    assert!(!forged.html.contains('\u{E000}'), "authors cannot forge markers");
}

/// Known XSS vectors, in Markdown and raw HTML, none of which may survive.
const XSS_VECTORS: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)></svg>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<object data=\"evil.swf\"></object>",
    "<embed src=\"evil.swf\">",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "[x](javascript:alert(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    "<div onclick=\"alert(1)\">x</div>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<style>body{display:none}</style>",
    "<form action=\"https://evil.example\"><input name=p></form>",
    "<details open ontoggle=alert(1)>x</details>",
    "<body onload=alert(1)>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"https://evil.example/\">",
    "<link rel=\"stylesheet\" href=\"https://evil.example/x.css\">",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<img src=\"data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+\">",
    "<a href=\"https://ok.example\" onmouseover=\"alert(1)\">ok</a>",
    "<textarea><script>alert(1)</script></textarea>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
];

#[test]
fn author_html_is_sanitised_against_known_xss_vectors() {
    for vector in XSS_VECTORS {
        let html = render(&format!("Text before.\n\n{vector}\n\nText after.\n")).to_lowercase();
        // Text may mention `javascript:`; no attribute may hold it.
        for forbidden in [
            "<script",
            "onerror",
            "onload",
            "onclick",
            "ontoggle",
            "onmouseover",
            "=\"javascript:",
            "=\"vbscript:",
            "=\"data:",
            "=javascript:",
            "<iframe",
            "<object",
            "<embed",
            "style=",
            "<style",
            "<form",
            "<input",
            "<textarea",
            "<meta",
            "<base",
            "<link",
            "<svg",
            "<math",
        ] {
            assert!(
                !html.contains(forbidden),
                "`{forbidden}` survived from {vector}: {html}"
            );
        }
        assert!(html.contains("text after."), "the rest of the text stays: {html}");
    }
    assert!(XSS_VECTORS.len() >= 20);
}

#[test]
fn safe_links_keep_their_address_and_open_without_referrer() {
    let html = render("[Council of Europe](https://www.coe.int/en/web/cybercrime) and <mailto:help@example.kz>");
    assert!(html.contains("href=\"https://www.coe.int/en/web/cybercrime\""));
    assert!(html.contains("rel=\"noopener noreferrer\""));
    assert!(html.contains("href=\"mailto:help@example.kz\""));
}

/// Found by fuzzing (tests/fuzz.rs): `toml` gives some errors an empty message, and
/// the validator printed "invalid TOML: " with nothing after it.
#[test]
fn a_key_without_a_value_is_reported_with_an_explanation_not_an_empty_message() {
    let text = "title = \"x\"\nminutes = ";
    let error = toml::from_str::<toml::Table>(text).unwrap_err();
    let (line, message) = bilim::courses::format::toml_error_position(text, &error);
    assert_eq!(line, 2);
    assert_eq!(
        message,
        "cannot read the value at column 11: a value is missing or malformed"
    );
}
