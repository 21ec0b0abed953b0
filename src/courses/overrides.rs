//! National adaptations of a module: `national/<country>/<lang>.md` files that replace
//! sections of the base text by id, each recording the fingerprint of the base section
//! it adapts so that Bilim can tell when the base has changed since.

use std::collections::BTreeSet;
use std::path::Path;

use super::checks::{check_body, check_section_ids};
use super::diagnostics::Diagnostics;
use super::format::{self, FrontMatterError, OverrideFrontMatter, COUNTRIES};
use super::load::{LoadedModule, LoadedOverride, LoadedText};
use super::markdown::LinkContext;
use super::sections;
use super::source::{file_name, line_starting_with, parse_toml, read_text, sorted_entries};
use crate::i18n::Locale;

pub(super) fn load_overrides(
    national_dir: &Path,
    module: &mut LoadedModule,
    links: &LinkContext<'_>,
    concepts: &BTreeSet<String>,
    diagnostics: &mut Diagnostics,
) {
    for country_dir in sorted_entries(national_dir, national_dir, diagnostics) {
        let country = file_name(&country_dir);
        if !country_dir.is_dir() || !COUNTRIES.contains(&country.as_str()) {
            diagnostics.error(
                &country_dir,
                1,
                format!("`{country}` is not a country folder (use kz kg tj tm uz)"),
            );
            continue;
        }
        for path in sorted_entries(&country_dir, &country_dir, diagnostics) {
            let name = file_name(&path);
            let language = name
                .strip_suffix(".md")
                .and_then(|stem| Locale::from_code(stem).filter(|l| l.code() == stem));
            let Some(language) = language else {
                diagnostics.error(
                    &path,
                    1,
                    format!("unknown language file `{name}` in a national adaptation"),
                );
                continue;
            };
            let Some(base) = module.texts.get(&language) else {
                diagnostics.error(
                    &path,
                    1,
                    format!("this adapts {}.md, which the module does not have", language.code()),
                );
                continue;
            };
            if let Some(adaptation) =
                load_override(&path, &country, language, base, links, module, concepts, diagnostics)
            {
                module.overrides.push(adaptation);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn load_override(
    path: &Path,
    country: &str,
    language: Locale,
    base: &LoadedText,
    links: &LinkContext<'_>,
    module: &LoadedModule,
    concepts: &BTreeSet<String>,
    diagnostics: &mut Diagnostics,
) -> Option<LoadedOverride> {
    let text = read_text(path, diagnostics)?;
    let (front, body, body_first_line, front_text) = match format::split_front_matter(&text) {
        Ok(split) => (
            parse_toml::<OverrideFrontMatter>(split.front_matter, split.front_matter_first_line, path, diagnostics)?,
            split.body.to_owned(),
            split.body_first_line,
            split.front_matter.to_owned(),
        ),
        Err(FrontMatterError::Missing) => (OverrideFrontMatter::default(), text.clone(), 1, String::new()),
        Err(FrontMatterError::Unclosed) => {
            diagnostics.error(path, 1, "the front matter is not closed with a +++ line");
            return None;
        }
    };
    let split = sections::split(&body, body_first_line);
    check_section_ids(&split, path, diagnostics);
    if !split.intro.trim().is_empty() {
        diagnostics.warning(
            path,
            body_first_line,
            "text before the first ## section is ignored in an adaptation",
        );
    }
    let base_name = format!("{}.md", language.code());
    let mut outdated = Vec::new();
    for section in &split.sections {
        let Some(base_section) = base.split.find(&section.id) else {
            diagnostics.error(
                path,
                section.line,
                format!(
                    "section `{}` does not exist in {base_name}: an adaptation replaces sections by id",
                    section.id
                ),
            );
            continue;
        };
        match front.based_on.get(&section.id) {
            Some(recorded) if recorded == &base_section.fingerprint => {}
            Some(recorded) => {
                outdated.push(section.id.clone());
                diagnostics.warning(
                    path,
                    section.line,
                    format!(
                        "outdated: section `{}` of {base_name} changed since it was adapted (based_on {recorded}, now {}); review the adaptation and update based_on",
                        section.id, base_section.fingerprint
                    ),
                );
            }
            None => diagnostics.warning(
                path,
                section.line,
                format!(
                    "section `{}` has no based_on fingerprint, so Bilim cannot tell when it becomes outdated; add `{} = \"{}\"` to [based_on]",
                    section.id, section.id, base_section.fingerprint
                ),
            ),
        }
    }
    for id in front.based_on.keys() {
        if split.find(id).is_none() {
            diagnostics.warning(
                path,
                line_starting_with(&front_text, id) + 1,
                format!("based_on names `{id}`, which this adaptation does not replace"),
            );
        }
    }
    let adapted = LoadedText {
        path: path.to_path_buf(),
        front: base.front.clone(),
        front_text: front_text.clone(),
        body: body.clone(),
        body_first_line,
        split: split.clone(),
    };
    let base_anchors: Vec<String> = base.split.sections.iter().map(|s| s.id.clone()).collect();
    check_body(&adapted, &base_anchors, language, links, module, concepts, diagnostics);
    Some(LoadedOverride {
        country: country.to_owned(),
        language,
        path: path.to_path_buf(),
        front,
        front_text,
        split,
        outdated,
    })
}
