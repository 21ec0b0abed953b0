//! `bilim quiz convert`: Moodle XML exports to GIFT that Bilim reads back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use bilim::quizzes::gift::{self, Kind};
use bilim::quizzes::moodle;

fn export() -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/moodle/export.xml"))
        .unwrap()
}

#[test]
fn every_supported_moodle_type_becomes_gift_that_bilim_reads_back() {
    let conversion = moodle::convert(&export()).unwrap();
    assert_eq!(conversion.converted, 8);
    let (questions, errors) = gift::parse(&conversion.gift);
    assert!(errors.is_empty(), "{errors:?}\n{}", conversion.gift);
    let kinds: Vec<&str> = questions.iter().map(|q| q.kind.name()).collect();
    assert_eq!(
        kinds,
        [
            "single",
            "multiple",
            "true_false",
            "short_answer",
            "numerical",
            "matching",
            "essay",
            "description"
        ]
    );
    assert_eq!(questions[0].id, "primary-hash");
    assert_eq!(
        questions[0].category.as_deref(),
        Some("$course$/Электронные доказательства")
    );
    assert!(questions[0].text.contains("<b>primary</b>"));
    let Kind::Single { choices } = &questions[0].kind else {
        panic!()
    };
    assert_eq!(
        choices[2].text, "CRC32 {checksum}",
        "special characters survive the round trip"
    );
    assert_eq!(choices[0].feedback.as_deref(), Some("Right: it resists collisions."));
    assert_eq!(questions[0].general_feedback.as_deref(), Some("Use SHA-256."));
    let Kind::Multiple { choices } = &questions[1].kind else {
        panic!()
    };
    assert_eq!(
        choices.iter().map(|c| c.weight).collect::<Vec<_>>(),
        [50.0, 50.0, -100.0]
    );
    assert!(
        matches!(&questions[2].kind, Kind::TrueFalse { answer: false, feedback_wrong: Some(w), feedback_right: Some(r) } if w == "No: isolate it." && r == "Right.")
    );
    assert!(questions[2].text.contains("true & certain?"));
    assert_eq!(
        questions[3].id, "q-4",
        "a name without Latin letters gets a numbered id"
    );
    let Kind::ShortAnswer { answers } = &questions[3].kind else {
        panic!()
    };
    assert_eq!(answers[1].text, "Тошкент");
    assert_eq!(answers[1].weight, 50.0);
}

#[test]
fn unsupported_types_are_listed_not_dropped_silently() {
    let conversion = moodle::convert(&export()).unwrap();
    assert_eq!(
        conversion.unsupported,
        ["Formula question (calculated)", "Drag words (ddwtos)"]
    );
}

#[test]
fn the_command_writes_gift_to_standard_output_and_lists_what_it_left_out() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_bilim"))
        .args(["quiz", "convert"])
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/moodle/export.xml"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stdout.contains("::primary-hash::"));
    assert!(stderr.contains("Drag words (ddwtos)") && stderr.contains("8 questions converted, 2 not converted"));
}

#[test]
fn malformed_xml_gets_a_clear_error() {
    assert!(matches!(
        moodle::convert("<quiz><question>"),
        Err(moodle::ConvertError::Xml(_))
    ));
    assert!(matches!(
        moodle::convert("<other/>"),
        Err(moodle::ConvertError::NotMoodle)
    ));
    assert!(moodle::convert("not xml at all <<<").is_err());
}
