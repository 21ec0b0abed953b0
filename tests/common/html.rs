//! HTML structure for assertions: a page parsed as a browser parses it (html5ever,
//! already in the build through ammonia), queried with CSS selectors.
//!
//! The `scraper` crate would do this, but it depends on `selectors` and `cssparser`,
//! which are MPL-2.0, and the project takes no copyleft code; so this supports the
//! part of CSS that tests need, and refuses the rest loudly rather than matching
//! wrongly:
//!
//! - type selectors and `*`, `#id`, `.class`;
//! - attributes: `[a]`, `[a=v]`, `[a~=v]`, `[a^=v]`, `[a$=v]`, `[a*=v]` (values bare or quoted);
//! - the descendant (` `) and child (`>`) combinators, and lists (`a, b`).

use html5ever::tendril::TendrilSink;
use markup5ever_rcdom::{Handle, NodeData, RcDom};

/// One element of a parsed page.
#[derive(Debug)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    parent: Option<usize>,
    raw_text: String,
}

impl Element {
    /// The element's text, every run of whitespace made one space, trimmed.
    pub fn text(&self) -> String {
        self.raw_text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The value of an attribute, as the browser reads it (entities decoded).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn classes(&self) -> impl Iterator<Item = &str> {
        self.attr("class").unwrap_or_default().split_whitespace()
    }
}

/// A parsed page: its elements in document order.
#[derive(Debug)]
pub struct Html {
    elements: Vec<Element>,
}

impl Html {
    pub fn parse(source: &str) -> Html {
        let dom = html5ever::parse_document(RcDom::default(), Default::default()).one(source);
        let mut elements = Vec::new();
        walk(&dom.document, None, &mut elements);
        Html { elements }
    }

    /// The elements `selector` matches, in document order.
    pub fn select(&self, selector: &str) -> Vec<&Element> {
        let list = parse_selector_list(selector);
        (0..self.elements.len())
            .filter(|&i| list.iter().any(|complex| self.matches(i, complex)))
            .map(|i| &self.elements[i])
            .collect()
    }

    fn matches(&self, index: usize, parts: &[(Combinator, Compound)]) -> bool {
        let Some(((combinator, compound), rest)) = parts.split_last() else {
            return true;
        };
        let element = &self.elements[index];
        if !compound.matches(element) {
            return false;
        }
        if rest.is_empty() {
            return true;
        }
        match combinator {
            Combinator::Child => element.parent.is_some_and(|p| self.matches(p, rest)),
            Combinator::Descendant => {
                let mut ancestor = element.parent;
                while let Some(a) = ancestor {
                    if self.matches(a, rest) {
                        return true;
                    }
                    ancestor = self.elements[a].parent;
                }
                false
            }
        }
    }
}

/// Adds the elements under `node` to `out`; returns the text under it.
fn walk(node: &Handle, parent: Option<usize>, out: &mut Vec<Element>) -> String {
    match &node.data {
        NodeData::Element { name, attrs, .. } => {
            let index = out.len();
            out.push(Element {
                name: name.local.to_string(),
                attrs: attrs
                    .borrow()
                    .iter()
                    .map(|a| (a.name.local.to_string(), a.value.to_string()))
                    .collect(),
                parent,
                raw_text: String::new(),
            });
            let mut text = String::new();
            for child in node.children.borrow().iter() {
                text.push_str(&walk(child, Some(index), out));
            }
            out[index].raw_text.clone_from(&text);
            text
        }
        NodeData::Text { contents } => contents.borrow().to_string(),
        _ => {
            let mut text = String::new();
            for child in node.children.borrow().iter() {
                text.push_str(&walk(child, parent, out));
            }
            text
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Combinator {
    Descendant,
    Child,
}

#[derive(Debug)]
enum Operator {
    Exists,
    Equals,
    Includes,
    Prefix,
    Suffix,
    Contains,
}

#[derive(Debug, Default)]
struct Compound {
    tag: Option<String>,
    ids: Vec<String>,
    classes: Vec<String>,
    attrs: Vec<(String, Operator, String)>,
}

impl Compound {
    fn is_empty(&self) -> bool {
        self.tag.is_none() && self.ids.is_empty() && self.classes.is_empty() && self.attrs.is_empty()
    }

    fn matches(&self, element: &Element) -> bool {
        self.tag.as_ref().is_none_or(|t| t == "*" || *t == element.name)
            && self.ids.iter().all(|id| element.attr("id") == Some(id.as_str()))
            && self.classes.iter().all(|c| element.classes().any(|e| e == c))
            && self.attrs.iter().all(|(name, op, value)| {
                element.attr(name).is_some_and(|v| match op {
                    Operator::Exists => true,
                    Operator::Equals => v == value,
                    Operator::Includes => v.split_whitespace().any(|w| w == value),
                    Operator::Prefix => v.starts_with(value.as_str()),
                    Operator::Suffix => v.ends_with(value.as_str()),
                    Operator::Contains => v.contains(value.as_str()),
                })
            })
    }
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '_'
}

fn parse_selector_list(selector: &str) -> Vec<Vec<(Combinator, Compound)>> {
    let chars: Vec<char> = selector.chars().collect();
    let mut list = Vec::new();
    let mut complex: Vec<(Combinator, Compound)> = Vec::new();
    let mut compound = Compound::default();
    let mut combinator = Combinator::Descendant;
    let mut i = 0;
    let name = |i: &mut usize| -> String {
        let start = *i;
        while *i < chars.len() && is_name_char(chars[*i]) {
            *i += 1;
        }
        assert!(*i > start, "a name expected at {start} in selector {selector:?}");
        chars[start..*i].iter().collect()
    };
    let finish = |compound: &mut Compound, complex: &mut Vec<(Combinator, Compound)>, combinator: Combinator| {
        if !compound.is_empty() {
            complex.push((combinator, std::mem::take(compound)));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '>' | ',' => {
                let had_compound = !compound.is_empty();
                finish(&mut compound, &mut complex, combinator);
                if had_compound {
                    combinator = Combinator::Descendant;
                }
                while i < chars.len() && chars[i] == ' ' {
                    i += 1;
                }
                match chars.get(i) {
                    Some('>') => {
                        assert!(!complex.is_empty(), "`>` with nothing before it in {selector:?}");
                        combinator = Combinator::Child;
                        i += 1;
                    }
                    Some(',') => {
                        assert!(!complex.is_empty(), "an empty selector in the list {selector:?}");
                        list.push(std::mem::take(&mut complex));
                        combinator = Combinator::Descendant;
                        i += 1;
                    }
                    _ => {}
                }
            }
            '#' => {
                i += 1;
                compound.ids.push(name(&mut i));
            }
            '.' => {
                i += 1;
                compound.classes.push(name(&mut i));
            }
            '*' => {
                i += 1;
                compound.tag = Some("*".into());
            }
            '[' => {
                i += 1;
                let attr = name(&mut i).to_ascii_lowercase();
                let op = match chars.get(i) {
                    Some(']') => Operator::Exists,
                    Some('=') => Operator::Equals,
                    Some('~') => Operator::Includes,
                    Some('^') => Operator::Prefix,
                    Some('$') => Operator::Suffix,
                    Some('*') => Operator::Contains,
                    other => panic!("unsupported attribute selector at {other:?} in {selector:?}"),
                };
                let value = match op {
                    Operator::Exists => String::new(),
                    Operator::Equals => {
                        i += 1;
                        attribute_value(&chars, &mut i, selector)
                    }
                    _ => {
                        assert_eq!(
                            chars.get(i + 1),
                            Some(&'='),
                            "unsupported attribute selector in {selector:?}"
                        );
                        i += 2;
                        attribute_value(&chars, &mut i, selector)
                    }
                };
                assert_eq!(chars.get(i), Some(&']'), "`]` expected in {selector:?}");
                i += 1;
                compound.attrs.push((attr, op, value));
            }
            c if is_name_char(c) => {
                assert!(compound.is_empty(), "a type selector must come first in {selector:?}");
                compound.tag = Some(name(&mut i).to_ascii_lowercase());
            }
            other => panic!("`{other}` is not supported in selector {selector:?} (see tests/common/html.rs)"),
        }
    }
    finish(&mut compound, &mut complex, combinator);
    assert!(!complex.is_empty(), "an empty selector: {selector:?}");
    list.push(complex);
    list
}

fn attribute_value(chars: &[char], i: &mut usize, selector: &str) -> String {
    match chars.get(*i) {
        Some(&quote) if quote == '"' || quote == '\'' => {
            let start = *i + 1;
            let end = chars[start..]
                .iter()
                .position(|&c| c == quote)
                .map(|p| start + p)
                .unwrap_or_else(|| panic!("an unclosed quote in {selector:?}"));
            *i = end + 1;
            chars[start..end].iter().collect()
        }
        _ => {
            let start = *i;
            while *i < chars.len() && chars[*i] != ']' {
                *i += 1;
            }
            chars[start..*i].iter().collect()
        }
    }
}
