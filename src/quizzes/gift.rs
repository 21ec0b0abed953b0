//! Moodle's GIFT question format, as Bilim reads it (a contract: trainers write these
//! files and bring them from Moodle).
//!
//! A file is a sequence of questions separated by blank lines. `//` starts a comment
//! line; `$CATEGORY:` sets the category of the questions after it. A question is
//! `::id:: text {answers}`; the id is required and is the same in every language.
//! `\~ \= \# \{ \} \:` escape the special characters (and `\n` is a line break).
//! The parser never panics: any input gives questions or errors with line numbers.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextFormat {
    Moodle,
    Markdown,
    Html,
    Plain,
}

/// An answer option with its weight in percent of the question's mark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub text: String,
    pub weight: f64,
    pub feedback: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum NumericValue {
    /// A value and the tolerance either side.
    Exact { value: f64, tolerance: f64 },
    /// An inclusive range.
    Range { min: f64, max: f64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericAnswer {
    pub value: NumericValue,
    pub weight: f64,
    pub feedback: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    pub left: String,
    pub right: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Kind {
    /// One answer to choose; weights give full or partial credit.
    Single {
        choices: Vec<Choice>,
    },
    /// Several answers to choose; weights add up, never below zero.
    Multiple {
        choices: Vec<Choice>,
    },
    TrueFalse {
        answer: bool,
        /// Shown when the answer given is wrong.
        feedback_wrong: Option<String>,
        /// Shown when the answer given is right.
        feedback_right: Option<String>,
    },
    ShortAnswer {
        answers: Vec<Choice>,
    },
    Numerical {
        answers: Vec<NumericAnswer>,
    },
    Matching {
        pairs: Vec<Pair>,
    },
    Essay,
    Description,
}

impl Kind {
    /// The name used by the API and in messages.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Single { .. } => "single",
            Kind::Multiple { .. } => "multiple",
            Kind::TrueFalse { .. } => "true_false",
            Kind::ShortAnswer { .. } => "short_answer",
            Kind::Numerical { .. } => "numerical",
            Kind::Matching { .. } => "matching",
            Kind::Essay => "essay",
            Kind::Description => "description",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    /// 1-based line where the question starts.
    pub line: usize,
    pub category: Option<String>,
    pub format: TextFormat,
    pub text: String,
    pub kind: Kind,
    pub general_feedback: Option<String>,
    /// The text as safe HTML, rendered when the quiz is imported.
    #[serde(default)]
    pub html: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftError {
    pub line: usize,
    pub message: String,
}

/// Splits the file into chunks of non-blank lines (questions, categories), with the
/// line each starts on; comment lines are dropped.
fn chunks(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut start = 0;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with("//") {
            continue;
        }
        if trimmed.is_empty() {
            if !current.is_empty() {
                out.push((start, current.join("\n")));
                current.clear();
            }
            continue;
        }
        if current.is_empty() {
            start = index + 1;
        }
        current.push(line);
    }
    if !current.is_empty() {
        out.push((start, current.join("\n")));
    }
    out
}

/// Finds `pattern` in `text` at a position not preceded by a backslash escape.
fn find_unescaped(text: &str, pattern: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < text.len() {
        if bytes.get(i) == Some(&b'\\') {
            i += 2;
            continue;
        }
        if text.get(i..).is_some_and(|rest| rest.starts_with(pattern)) {
            return Some(i);
        }
        i += text
            .get(i..)
            .and_then(|rest| rest.chars().next())
            .map(char::len_utf8)
            .unwrap_or(1);
    }
    None
}

/// Removes GIFT escapes: `\~` → `~` and so on; `\n` is a line break.
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Escapes text for writing into a GIFT file.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '~' | '=' | '#' | '{' | '}' | ':' | '\\') {
            out.push('\\');
        }
        if c == '\n' {
            out.push_str("\\n");
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits a leading `[markdown]`, `[html]`, `[plain]` or `[moodle]` off a text.
fn split_format(text: &str) -> (TextFormat, &str) {
    let trimmed = text.trim_start();
    for (tag, format) in [
        ("[markdown]", TextFormat::Markdown),
        ("[html]", TextFormat::Html),
        ("[plain]", TextFormat::Plain),
        ("[moodle]", TextFormat::Moodle),
    ] {
        if let Some(rest) = trimmed.strip_prefix(tag) {
            return (format, rest);
        }
    }
    (TextFormat::Moodle, trimmed)
}

fn clean(text: &str) -> String {
    let (_, text) = split_format(text);
    unescape(text.trim())
}

/// `%50%` at the start of an answer → 50.0 and the rest.
fn split_weight(text: &str, line: usize) -> Result<(Option<f64>, &str), GiftError> {
    let trimmed = text.trim_start();
    let Some(rest) = trimmed.strip_prefix('%') else {
        return Ok((None, trimmed));
    };
    let end = rest.find('%').ok_or_else(|| GiftError {
        line,
        message: "a weight must be written %number%, e.g. %50%".into(),
    })?;
    let number = rest.get(..end).unwrap_or_default().trim();
    let weight: f64 = number.parse().map_err(|_| GiftError {
        line,
        message: format!("`%{number}%` is not a weight: use a number from -100 to 100"),
    })?;
    if !(-100.0..=100.0).contains(&weight) {
        return Err(GiftError {
            line,
            message: format!("weight {weight} is outside -100 to 100"),
        });
    }
    Ok((Some(weight), rest.get(end + 1..).unwrap_or_default()))
}

/// Splits `text#feedback` at the first unescaped `#`.
fn split_feedback(text: &str) -> (&str, Option<String>) {
    match find_unescaped(text, "#", 0) {
        Some(at) => (
            text.get(..at).unwrap_or_default(),
            Some(clean(text.get(at + 1..).unwrap_or_default())).filter(|f| !f.is_empty()),
        ),
        None => (text, None),
    }
}

/// The answers of a block, each with its mark (`=` or `~`) and raw text.
fn split_answers(block: &str) -> Vec<(char, String)> {
    let mut answers = Vec::new();
    let mut current: Option<(char, usize)> = None;
    let bytes = block.as_bytes();
    let mut i = 0;
    while i < block.len() {
        match bytes.get(i) {
            Some(b'\\') => {
                i += 2;
                continue;
            }
            Some(&b) if b == b'=' || b == b'~' => {
                if let Some((mark, start)) = current {
                    answers.push((mark, block.get(start..i).unwrap_or_default().to_owned()));
                }
                current = Some((char::from(b), i + 1));
            }
            _ => {}
        }
        i += block
            .get(i..)
            .and_then(|rest| rest.chars().next())
            .map(char::len_utf8)
            .unwrap_or(1);
    }
    if let Some((mark, start)) = current {
        answers.push((mark, block.get(start..).unwrap_or_default().to_owned()));
    }
    answers
}

fn parse_number(text: &str, line: usize) -> Result<f64, GiftError> {
    let cleaned = unescape(text.trim()).replace(',', ".");
    cleaned
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .ok_or_else(|| GiftError {
            line,
            message: format!("`{}` is not a number", text.trim()),
        })
}

fn parse_numeric_value(text: &str, line: usize) -> Result<NumericValue, GiftError> {
    let text = unescape(text.trim());
    if let Some((min, max)) = text.split_once("..") {
        let (min, max) = (parse_number(min, line)?, parse_number(max, line)?);
        if min > max {
            return Err(GiftError {
                line,
                message: format!("range {min}..{max} is empty"),
            });
        }
        return Ok(NumericValue::Range { min, max });
    }
    match text.split_once(':') {
        Some((value, tolerance)) => {
            let tolerance = parse_number(tolerance, line)?;
            if tolerance < 0.0 {
                return Err(GiftError {
                    line,
                    message: "a tolerance cannot be negative".into(),
                });
            }
            Ok(NumericValue::Exact {
                value: parse_number(value, line)?,
                tolerance,
            })
        }
        None => Ok(NumericValue::Exact {
            value: parse_number(&text, line)?,
            tolerance: 0.0,
        }),
    }
}

fn parse_numerical(block: &str, line: usize) -> Result<Kind, GiftError> {
    let body = block.trim_start().strip_prefix('#').unwrap_or(block);
    let answers_raw = split_answers(body);
    let mut answers = Vec::new();
    if answers_raw.is_empty() {
        let (value, feedback) = split_feedback(body);
        answers.push(NumericAnswer {
            value: parse_numeric_value(value, line)?,
            weight: 100.0,
            feedback,
        });
    } else {
        for (mark, raw) in answers_raw {
            if mark == '~' {
                return Err(GiftError {
                    line,
                    message: "numerical answers are written with =, not ~".into(),
                });
            }
            let (weight, rest) = split_weight(&raw, line)?;
            let (value, feedback) = split_feedback(rest);
            answers.push(NumericAnswer {
                value: parse_numeric_value(value, line)?,
                weight: weight.unwrap_or(100.0),
                feedback,
            });
        }
    }
    if !answers.iter().any(|a| a.weight >= 100.0) {
        return Err(GiftError {
            line,
            message: "a numerical question needs one answer worth 100%".into(),
        });
    }
    Ok(Kind::Numerical { answers })
}

fn parse_true_false(block: &str) -> Option<Kind> {
    let mut parts = block.splitn(3, '#');
    let value = parts.next()?.trim().to_ascii_uppercase();
    let answer = match value.as_str() {
        "T" | "TRUE" => true,
        "F" | "FALSE" => false,
        _ => return None,
    };
    let feedback = |part: Option<&str>| part.map(clean).filter(|f| !f.is_empty());
    Some(Kind::TrueFalse {
        answer,
        feedback_wrong: feedback(parts.next()),
        feedback_right: feedback(parts.next()),
    })
}

fn parse_choices(block: &str, line: usize) -> Result<Kind, GiftError> {
    let raw = split_answers(block);
    if raw.is_empty() {
        return Err(GiftError {
            line,
            message: "the answers must start with = (right) or ~ (wrong)".into(),
        });
    }
    let all_right = raw.iter().all(|(mark, _)| *mark == '=');
    let matching = all_right && raw.iter().all(|(_, text)| find_unescaped(text, "->", 0).is_some());
    if matching {
        let mut pairs = Vec::new();
        for (_, text) in &raw {
            let (text, _) = split_feedback(text);
            let at = find_unescaped(text, "->", 0).unwrap_or(text.len());
            let left = clean(text.get(..at).unwrap_or_default());
            let right = clean(text.get(at + 2..).unwrap_or_default());
            if right.is_empty() {
                return Err(GiftError {
                    line,
                    message: "a matching pair needs text on both sides of ->".into(),
                });
            }
            pairs.push(Pair { left, right });
        }
        if pairs.len() < 3 {
            return Err(GiftError {
                line,
                message: "a matching question needs at least three pairs".into(),
            });
        }
        return Ok(Kind::Matching { pairs });
    }
    let mut choices = Vec::new();
    for (mark, text) in &raw {
        let (weight, rest) = split_weight(text, line)?;
        let (text, feedback) = split_feedback(rest);
        let text = clean(text);
        if text.is_empty() {
            return Err(GiftError {
                line,
                message: "an answer is empty".into(),
            });
        }
        let weight = match (mark, weight) {
            ('=', None) => 100.0,
            ('=', Some(w)) => w,
            (_, Some(w)) => w,
            _ => 0.0,
        };
        choices.push((*mark, Choice { text, weight, feedback }));
    }
    if all_right {
        return Ok(Kind::ShortAnswer {
            answers: choices.into_iter().map(|(_, c)| c).collect(),
        });
    }
    let right_marks = choices.iter().filter(|(mark, _)| *mark == '=').count();
    let choices: Vec<Choice> = choices.into_iter().map(|(_, c)| c).collect();
    match right_marks {
        1 => Ok(Kind::Single { choices }),
        0 => {
            let positive: f64 = choices.iter().filter(|c| c.weight > 0.0).map(|c| c.weight).sum();
            if positive <= 0.0 {
                return Err(GiftError {
                    line,
                    message: "no answer is right: mark one with = or give weights like ~%50%".into(),
                });
            }
            if (positive - 100.0).abs() > 0.01 {
                return Err(GiftError {
                    line,
                    message: format!("the positive weights add up to {positive}%, not 100%"),
                });
            }
            Ok(Kind::Multiple { choices })
        }
        _ => Err(GiftError {
            line,
            message: "a multiple-choice question has one = answer; for several right answers use ~%weight%".into(),
        }),
    }
}

fn parse_block(block: &str, line: usize) -> Result<(Kind, Option<String>), GiftError> {
    let (block, general_feedback) = match find_unescaped(block, "####", 0) {
        Some(at) => (
            block.get(..at).unwrap_or_default(),
            Some(clean(block.get(at + 4..).unwrap_or_default())).filter(|f| !f.is_empty()),
        ),
        None => (block, None),
    };
    let trimmed = block.trim();
    let kind = if trimmed.is_empty() {
        Kind::Essay
    } else if trimmed.starts_with('#') {
        parse_numerical(trimmed, line)?
    } else if let Some(kind) = parse_true_false(trimmed) {
        kind
    } else {
        parse_choices(trimmed, line)?
    };
    Ok((kind, general_feedback))
}

/// Whether a question id fits in a URL path segment.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn parse_question(chunk: &str, line: usize, category: Option<String>) -> Result<Question, GiftError> {
    let body = chunk.trim_start();
    let (id, rest) = match body.strip_prefix("::") {
        Some(after) => {
            let end = find_unescaped(after, "::", 0).ok_or_else(|| GiftError {
                line,
                message: "the title is not closed: write ::question-id::".into(),
            })?;
            (
                unescape(after.get(..end).unwrap_or_default().trim()),
                after.get(end + 2..).unwrap_or_default(),
            )
        }
        None => {
            return Err(GiftError {
                line,
                message: "every question needs an id: start it with ::question-id::".into(),
            })
        }
    };
    if !is_valid_id(&id) {
        return Err(GiftError {
            line,
            message: format!(
                "question id `{id}` must use Latin letters, digits, - _ or . (it is the same in every language)"
            ),
        });
    }
    let open = find_unescaped(rest, "{", 0);
    let (format, text_raw) = split_format(rest);
    let (kind, general_feedback, text) = match open {
        None => (Kind::Description, None, unescape(text_raw.trim())),
        Some(open) => {
            let close = find_unescaped(rest, "}", open + 1).ok_or_else(|| GiftError {
                line,
                message: "the answers are not closed: a } is missing".into(),
            })?;
            if find_unescaped(rest, "{", close + 1).is_some() {
                return Err(GiftError {
                    line,
                    message: "a question has one {answers} block; escape other braces as \\{ \\}".into(),
                });
            }
            let before = split_format(rest.get(..open).unwrap_or_default()).1.trim();
            let after = rest.get(close + 1..).unwrap_or_default().trim();
            let block = rest.get(open + 1..close).unwrap_or_default();
            let block_line = line + rest.get(..open).map(|t| t.matches('\n').count()).unwrap_or(0);
            let (kind, feedback) = parse_block(block, block_line)?;
            // "Missing word" questions have text after the answers: the gap is shown.
            let text = if after.is_empty() {
                unescape(before)
            } else {
                format!("{} _____ {}", unescape(before), unescape(after))
            };
            (kind, feedback, text)
        }
    };
    if text.trim().is_empty() {
        return Err(GiftError {
            line,
            message: format!("question `{id}` has no text"),
        });
    }
    Ok(Question {
        id,
        line,
        category,
        format,
        text,
        kind,
        general_feedback,
        html: String::new(),
    })
}

/// Parses a GIFT file: the questions, and an error for each question that cannot be
/// read (the others are still returned).
pub fn parse(text: &str) -> (Vec<Question>, Vec<GiftError>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).replace("\r\n", "\n");
    let mut questions: Vec<Question> = Vec::new();
    let mut errors = Vec::new();
    let mut category = None;
    for (line, chunk) in chunks(&text) {
        let mut chunk_text = chunk.as_str();
        // A category line may stand directly above its first question.
        if let Some(rest) = chunk_text.trim_start().strip_prefix("$CATEGORY:") {
            let (name, remainder) = rest.split_once('\n').unwrap_or((rest, ""));
            category = Some(name.trim().to_owned()).filter(|c| !c.is_empty());
            if remainder.trim().is_empty() {
                continue;
            }
            chunk_text = remainder;
        }
        match parse_question(chunk_text, line, category.clone()) {
            Ok(question) => {
                if let Some(first) = questions.iter().find(|q| q.id == question.id) {
                    errors.push(GiftError {
                        line,
                        message: format!("duplicate question id `{}` (also at line {})", question.id, first.line),
                    });
                } else {
                    questions.push(question);
                }
            }
            Err(error) => errors.push(error),
        }
    }
    (questions, errors)
}

/// What must be the same in every language of a quiz: type, number of answers and
/// their weights, the right answers of true/false and numerical questions.
pub fn answer_key(question: &Question) -> String {
    let weights = |choices: &[Choice]| {
        choices
            .iter()
            .map(|c| format!("{}", c.weight))
            .collect::<Vec<_>>()
            .join(",")
    };
    match &question.kind {
        Kind::Single { choices } | Kind::Multiple { choices } | Kind::ShortAnswer { answers: choices } => {
            format!("{}[{}]", question.kind.name(), weights(choices))
        }
        Kind::TrueFalse { answer, .. } => format!("true_false[{answer}]"),
        Kind::Numerical { answers } => {
            let parts: Vec<String> = answers
                .iter()
                .map(|a| match &a.value {
                    NumericValue::Exact { value, tolerance } => format!("{value}:{tolerance}@{}", a.weight),
                    NumericValue::Range { min, max } => format!("{min}..{max}@{}", a.weight),
                })
                .collect();
            format!("numerical[{}]", parts.join(","))
        }
        Kind::Matching { pairs } => format!("matching[{}]", pairs.len()),
        Kind::Essay => "essay".into(),
        Kind::Description => "description".into(),
    }
}
