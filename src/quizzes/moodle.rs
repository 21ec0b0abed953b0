//! `bilim quiz convert FILE.xml`: Moodle's XML question export to GIFT, so
//! institutions can bring their existing question banks. Question types GIFT cannot
//! express (calculated, cloze, drag and drop, ordering …) are listed, never dropped
//! silently.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::gift;

/// A minimal element tree of the export.
#[derive(Debug, Default, Clone)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    text: String,
    children: Vec<Element>,
}

impl Element {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of `<name><text>…</text></name>`.
    fn text_of(&self, name: &str) -> Option<String> {
        self.child(name)
            .and_then(|c| c.child("text"))
            .map(|t| t.text.trim().to_owned())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error("the file is not valid XML: {0}")]
    Xml(String),
    #[error("the file is not a Moodle question export (no <quiz> element)")]
    NotMoodle,
}

/// An element with its name and attributes, without children yet.
fn element_of(start: &quick_xml::events::BytesStart<'_>) -> Element {
    let mut element = Element {
        name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
        ..Element::default()
    };
    for attribute in start.attributes().flatten() {
        let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
        let value = attribute.unescape_value().map(|v| v.into_owned()).unwrap_or_default();
        element.attributes.push((key, value));
    }
    element
}

fn parse_tree(xml: &str) -> Result<Element, ConvertError> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        let event = reader.read_event().map_err(|e| ConvertError::Xml(e.to_string()))?;
        match event {
            Event::Start(start) => stack.push(element_of(&start)),
            Event::Empty(start) => {
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(element_of(&start));
                }
            }
            Event::End(_) => {
                let element = stack.pop().ok_or_else(|| ConvertError::Xml("unbalanced tags".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Err(ConvertError::Xml("unbalanced tags".into())),
                }
            }
            Event::Text(text) => {
                let raw = text.decode().map_err(|e| ConvertError::Xml(e.to_string()))?;
                let unescaped = quick_xml::escape::unescape(&raw).map_err(|e| ConvertError::Xml(e.to_string()))?;
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&unescaped);
                }
            }
            Event::GeneralRef(reference) => {
                let name = reference.decode().map_err(|e| ConvertError::Xml(e.to_string()))?;
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => quick_xml::escape::resolve_predefined_entity(&name)
                        .map(str::to_owned)
                        .ok_or_else(|| ConvertError::Xml(format!("unknown entity &{name};")))?,
                };
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&resolved);
                }
            }
            Event::CData(data) => {
                let text = data.decode().map_err(|e| ConvertError::Xml(e.to_string()))?;
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&text);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err(ConvertError::Xml("the file ends inside an element".into()));
    }
    stack.pop().ok_or(ConvertError::NotMoodle)
}

/// What a conversion produced: GIFT text, and the questions it could not convert.
#[derive(Debug, Default)]
pub struct Conversion {
    pub gift: String,
    pub converted: usize,
    /// `name (type)` of each question left out.
    pub unsupported: Vec<String>,
}

fn format_prefix(format: Option<&str>) -> &'static str {
    match format {
        Some("html") => "[html]",
        Some("markdown") => "[markdown]",
        _ => "",
    }
}

/// A question id from Moodle's question name: Latin letters and digits kept, the rest
/// turned into hyphens; a name with none gets `q-N`.
fn id_from_name(name: &str, number: usize, taken: &mut Vec<String>) -> String {
    let mut id = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.ends_with('-') && !id.is_empty() {
            id.push('-');
        }
    }
    let id = id.trim_end_matches('-').chars().take(60).collect::<String>();
    let mut id = if id.is_empty() { format!("q-{number}") } else { id };
    if taken.contains(&id) {
        id = format!("{id}-{number}");
    }
    taken.push(id.clone());
    id
}

fn fraction(answer: &Element) -> f64 {
    answer
        .attribute("fraction")
        .and_then(|f| f.trim().parse::<f64>().ok())
        .unwrap_or(0.0)
}

fn weight_text(weight: f64) -> String {
    let rounded = (weight * 100_000.0).round() / 100_000.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded}")
    }
}

fn answer_text(answer: &Element) -> String {
    let format = format_prefix(answer.attribute("format"));
    let text = answer
        .child("text")
        .map(|t| t.text.trim().to_owned())
        .unwrap_or_default();
    format!("{format}{}", gift::escape(&text))
}

fn feedback(answer: &Element) -> String {
    answer
        .text_of("feedback")
        .filter(|f| !f.is_empty())
        .map(|f| format!("#{}", gift::escape(&f)))
        .unwrap_or_default()
}

fn choices(question: &Element, single: bool) -> String {
    let answers: Vec<&Element> = question.children_named("answer").collect();
    let mut lines = Vec::new();
    for answer in answers {
        let weight = fraction(answer);
        let mark = if single && (weight - 100.0).abs() < 1e-9 {
            "=".to_owned()
        } else if weight == 0.0 {
            "~".to_owned()
        } else {
            format!("~%{}%", weight_text(weight))
        };
        lines.push(format!("{mark}{}{}", answer_text(answer), feedback(answer)));
    }
    lines.join("\n")
}

fn general_feedback(question: &Element) -> String {
    question
        .text_of("generalfeedback")
        .filter(|f| !f.is_empty())
        .map(|f| format!("\n####{}", gift::escape(&f)))
        .unwrap_or_default()
}

fn answer_block(question: &Element, kind: &str) -> Option<String> {
    Some(match kind {
        "multichoice" => {
            let single = question
                .child("single")
                .map(|s| s.text.trim() == "true" || s.text.trim() == "1")
                .unwrap_or(true);
            format!("{{\n{}{}\n}}", choices(question, single), general_feedback(question))
        }
        "truefalse" => {
            let answers: Vec<&Element> = question.children_named("answer").collect();
            let right = answers.iter().find(|a| fraction(a) >= 100.0)?;
            let value = right
                .child("text")
                .map(|t| t.text.trim().to_ascii_lowercase())
                .unwrap_or_default();
            let truth = value == "true";
            let wrong = answers.iter().find(|a| fraction(a) < 100.0);
            let wrong_feedback = wrong.map(|a| feedback(a)).unwrap_or_default();
            let right_feedback = feedback(right);
            let feedbacks = match (wrong_feedback.is_empty(), right_feedback.is_empty()) {
                (true, true) => String::new(),
                _ => format!(
                    "{}{}",
                    if wrong_feedback.is_empty() {
                        "#".to_owned()
                    } else {
                        wrong_feedback
                    },
                    right_feedback
                ),
            };
            format!(
                "{{{}{feedbacks}{}}}",
                if truth { "TRUE" } else { "FALSE" },
                general_feedback(question)
            )
        }
        "shortanswer" => {
            let lines: Vec<String> = question
                .children_named("answer")
                .filter(|a| fraction(a) > 0.0)
                .map(|a| {
                    let weight = fraction(a);
                    let mark = if weight >= 100.0 {
                        "=".to_owned()
                    } else {
                        format!("=%{}%", weight_text(weight))
                    };
                    format!("{mark}{}{}", answer_text(a), feedback(a))
                })
                .collect();
            if lines.is_empty() {
                return None;
            }
            format!("{{\n{}{}\n}}", lines.join("\n"), general_feedback(question))
        }
        "numerical" => {
            let lines: Vec<String> = question
                .children_named("answer")
                .map(|a| {
                    let weight = fraction(a);
                    let value = a.child("text").map(|t| t.text.trim().to_owned()).unwrap_or_default();
                    let tolerance = a
                        .child("tolerance")
                        .map(|t| t.text.trim().to_owned())
                        .filter(|t| !t.is_empty() && t != "0");
                    let mark = if weight >= 100.0 {
                        "=".to_owned()
                    } else {
                        format!("=%{}%", weight_text(weight))
                    };
                    match tolerance {
                        Some(tolerance) => format!("{mark}{value}:{tolerance}{}", feedback(a)),
                        None => format!("{mark}{value}{}", feedback(a)),
                    }
                })
                .collect();
            format!("{{#\n{}{}\n}}", lines.join("\n"), general_feedback(question))
        }
        "matching" => {
            let lines: Vec<String> = question
                .children_named("subquestion")
                .filter_map(|sub| {
                    let left = sub.child("text").map(|t| t.text.trim().to_owned()).unwrap_or_default();
                    let right = sub.text_of("answer").unwrap_or_default();
                    // Moodle allows extra wrong answers as subquestions without text; GIFT has no place for them.
                    (!left.is_empty()).then(|| format!("={} -> {}", gift::escape(&left), gift::escape(&right)))
                })
                .collect();
            if lines.len() < 3 {
                return None;
            }
            format!("{{\n{}{}\n}}", lines.join("\n"), general_feedback(question))
        }
        "essay" => format!("{{{}}}", general_feedback(question).trim_start()),
        "description" => String::new(),
        _ => return None,
    })
}

/// Converts a Moodle XML export to GIFT.
pub fn convert(xml: &str) -> Result<Conversion, ConvertError> {
    let root = parse_tree(xml)?;
    let quiz = root.child("quiz").ok_or(ConvertError::NotMoodle)?;
    let mut conversion = Conversion::default();
    let mut taken = Vec::new();
    let mut parts = Vec::new();
    let mut number = 0;
    for question in quiz.children_named("question") {
        let kind = question.attribute("type").unwrap_or_default();
        if kind == "category" {
            if let Some(category) = question.text_of("category").filter(|c| !c.is_empty()) {
                parts.push(format!("$CATEGORY: {category}"));
            }
            continue;
        }
        number += 1;
        let name = question.text_of("name").unwrap_or_default();
        let Some(block) = answer_block(question, kind) else {
            conversion.unsupported.push(format!(
                "{} ({kind})",
                if name.is_empty() { format!("#{number}") } else { name }
            ));
            continue;
        };
        let id = id_from_name(&name, number, &mut taken);
        let text_element = question.child("questiontext");
        let prefix = format_prefix(text_element.and_then(|t| t.attribute("format")));
        let text = question.text_of("questiontext").unwrap_or_default();
        parts.push(format!("::{id}::{prefix}{}{block}", gift::escape(&text)));
        conversion.converted += 1;
    }
    conversion.gift = parts.join("\n\n") + "\n";
    Ok(conversion)
}
