//! The certificate as a PDF: A4 landscape with a thin double border, everything
//! centred: the issuing institution (and the installation's logo), "Certificate", the
//! holder, the course, the run's dates and the hours; then a row with the signatory,
//! the date of issue and number, and the QR code; the verification address at the foot.
//!
//! Text is real text in DejaVu Sans (which has every letter of the seven languages and
//! ships with Bilim under its permissive licence); krilla shapes and subsets it, so it
//! can be selected, searched and extracted. Lines are measured with the shaper krilla
//! draws with: long names and titles first shrink, then wrap, and the whole column
//! shrinks if it would run into the foot, so nothing leaves the page.
//!
//! The PDF is tagged (language, title, a heading, paragraphs, the QR code as a figure
//! with a text alternative; the border, signature line and logo are artifacts) and is
//! written as PDF/UA-1 when krilla's checks pass. They fail only for a letter DejaVu
//! Sans lacks (a name in a script outside the region); that certificate is written
//! as the same tagged PDF without the PDF/UA claim.

use std::num::NonZeroU16;
use std::path::Path;

use krilla::color::rgb;
use krilla::configure::{Accessibility, ConfigurationBuilder};
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::tagging::{Artifact, ArtifactType, BBox, ContentTag, SpanTag, Tag, TagGroup, TagKind, TagTree};
use krilla::text::{Font, TextDirection};
use krilla::{Data, Document, SerializeSettings};
use qrcodegen::{QrCode, QrCodeEcc};

use super::{Certificate, Validity};
use crate::error::AppError;
use crate::i18n::{self, Locale};

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

const WIDTH: f32 = 842.0;
const HEIGHT: f32 = 595.0;
const CENTRE: f32 = WIDTH / 2.0;
/// The width of the centred column of the main text.
const COLUMN: f32 = 640.0;
/// The top of the main text, and the top of the foot row it must end above.
const TOP: f32 = 48.0;
const FOOT_TOP: f32 = 430.0;
/// The logo's largest box; it keeps its proportions inside.
const LOGO_WIDTH: f32 = 160.0;
const LOGO_HEIGHT: f32 = 52.0;
/// The signatory's column, left in the foot row.
const SIGNATORY_CENTRE: f32 = 185.0;
const SIGNATORY_WIDTH: f32 = 230.0;
/// The date and number's column, in the middle of the foot row.
const MIDDLE_WIDTH: f32 = 250.0;
/// The QR code's square, right in the foot row.
const QR_SIDE: f32 = 96.0;
const QR_X: f32 = WIDTH - 66.0 - QR_SIDE;
/// A line's height as a share of its font size.
const LEADING: f32 = 1.28;

const INK: (u8, u8, u8) = (27, 31, 36);
const MUTED: (u8, u8, u8) = (74, 83, 96);
const NAVY: (u8, u8, u8) = (11, 61, 107);
const WARNING: (u8, u8, u8) = (176, 0, 32);

/// What the certificate says besides the stored certificate, in its language.
pub struct CertificateText {
    pub site_name: String,
    pub verify_url: String,
    pub date: String,
    pub expires: Option<String>,
    /// The run's first and last day ("5 March 2026 – 9 March 2026"); `None` for a
    /// certificate earned without a run.
    pub period: Option<String>,
    pub logo: Option<Logo>,
}

/// The installation's logo, drawn above the institution's name.
pub struct Logo {
    bytes: Vec<u8>,
    jpeg: bool,
}

impl Logo {
    /// Reads the logo file (`BILIM_LOGO`). Only PNG and JPEG are drawn on certificates:
    /// an SVG or WebP logo, or one that cannot be read, leaves the certificate without.
    pub fn read(path: &Path) -> Option<Logo> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        let jpeg = match extension.as_str() {
            "png" => false,
            "jpg" | "jpeg" => true,
            _ => return None,
        };
        match std::fs::read(path) {
            Ok(bytes) => Some(Logo { bytes, jpeg }),
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "the logo cannot be read for the certificate");
                None
            }
        }
    }

    fn image(&self) -> Option<Image> {
        let data = Data::from(self.bytes.clone());
        let image = if self.jpeg {
            Image::from_jpeg(data, true)
        } else {
            Image::from_png(data, true)
        };
        image
            .map_err(|error| tracing::warn!(%error, "the logo cannot be drawn on the certificate"))
            .ok()
    }
}

/// Renders a certificate in `locale`: as PDF/UA-1 if krilla's checks pass, else as
/// the same tagged PDF without the claim; and without the logo if the logo breaks it.
pub fn render(certificate: &Certificate, locale: Locale, text: &CertificateText) -> Result<Vec<u8>, AppError> {
    let fonts = Fonts::load()?;
    let mut attempts = vec![(true, true), (false, true)];
    if text.logo.is_some() {
        attempts.push((false, false));
    }
    let mut failure = String::new();
    for (accessible, with_logo) in attempts {
        match draw(&fonts, certificate, locale, text, accessible, with_logo) {
            Ok(bytes) => return Ok(bytes),
            Err(error) => {
                tracing::info!(code = %certificate.code, accessible, with_logo, %error, "certificate PDF attempt failed");
                failure = error;
            }
        }
    }
    Err(AppError::internal(format!(
        "cannot write the certificate PDF: {failure}"
    )))
}

/// The two faces of DejaVu Sans, for krilla to draw and for rustybuzz to measure.
struct Fonts {
    regular: Font,
    bold: Font,
    regular_shaper: rustybuzz::Face<'static>,
    bold_shaper: rustybuzz::Face<'static>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Weight {
    Regular,
    Bold,
}

impl Fonts {
    fn load() -> Result<Fonts, AppError> {
        let unreadable = || AppError::internal("the certificate font cannot be read");
        Ok(Fonts {
            regular: Font::new(Data::from(REGULAR), 0).ok_or_else(unreadable)?,
            bold: Font::new(Data::from(BOLD), 0).ok_or_else(unreadable)?,
            regular_shaper: rustybuzz::Face::from_slice(REGULAR, 0).ok_or_else(unreadable)?,
            bold_shaper: rustybuzz::Face::from_slice(BOLD, 0).ok_or_else(unreadable)?,
        })
    }

    fn font(&self, weight: Weight) -> &Font {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    /// The width of `text` on one line, shaped as krilla shapes it.
    fn width(&self, text: &str, weight: Weight, size: f32) -> f32 {
        let shaper = match weight {
            Weight::Regular => &self.regular_shaper,
            Weight::Bold => &self.bold_shaper,
        };
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let shaped = rustybuzz::shape(shaper, &[], buffer);
        let units: i64 = shaped.glyph_positions().iter().map(|p| i64::from(p.x_advance)).sum();
        units as f32 / shaper.units_per_em().max(1) as f32 * size
    }

    /// Splits text into lines no wider than `width`, between words; a word wider than
    /// a whole line (an address) is cut between letters. A line broken between words
    /// keeps the space at its end (invisible, and not measured), so that text copied or
    /// read aloud keeps its word break.
    fn wrap(&self, text: &str, weight: Weight, size: f32, width: f32) -> Vec<String> {
        let fits = |line: &str| self.width(line, weight, size) <= width;
        let mut lines: Vec<String> = Vec::new();
        let mut current = String::new();
        for word in text.split_whitespace() {
            let joined = if current.is_empty() {
                word.to_owned()
            } else {
                format!("{current} {word}")
            };
            if fits(&joined) {
                current = joined;
                continue;
            }
            if !current.is_empty() {
                current.push(' ');
                lines.push(std::mem::take(&mut current));
            }
            if fits(word) {
                current = word.to_owned();
                continue;
            }
            for letter in word.chars() {
                current.push(letter);
                if !fits(&current) && current.chars().count() > 1 {
                    current.pop();
                    lines.push(std::mem::replace(&mut current, letter.to_string()));
                }
            }
        }
        if !current.is_empty() {
            lines.push(current);
        }
        lines
    }

    /// The text at the largest size from `size` down to `min_size` at which it takes
    /// at most `max_lines` lines; at `min_size`, as many lines as it needs.
    fn fit(&self, block: &Block, scale: f32, width: f32) -> Laid {
        let min_size = block.min_size * scale;
        let mut size = block.size * scale;
        loop {
            let lines = self.wrap(&block.text, block.weight, size, width);
            if lines.len() <= block.max_lines || size <= min_size {
                return Laid { lines, size };
            }
            size = (size - 0.5).max(min_size);
        }
    }
}

/// How a paragraph is tagged.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Heading,
    Paragraph,
}

/// One paragraph of text, centred in its column.
struct Block {
    text: String,
    weight: Weight,
    size: f32,
    /// The smallest size it shrinks to before it wraps onto more than `max_lines`.
    min_size: f32,
    max_lines: usize,
    colour: (u8, u8, u8),
    space_before: f32,
    role: Role,
}

impl Block {
    fn new(text: String, weight: Weight, size: f32, colour: (u8, u8, u8), space_before: f32) -> Block {
        Block {
            text,
            weight,
            size,
            min_size: size,
            max_lines: usize::MAX,
            colour,
            space_before,
            role: Role::Paragraph,
        }
    }

    /// Shrinks to `min_size` before taking more than `max_lines` lines.
    fn shrinking(mut self, min_size: f32, max_lines: usize) -> Block {
        self.min_size = min_size;
        self.max_lines = max_lines;
        self
    }

    fn heading(mut self) -> Block {
        self.role = Role::Heading;
        self
    }
}

/// A block laid out: its lines at one size.
struct Laid {
    lines: Vec<String>,
    size: f32,
}

impl Laid {
    fn height(&self) -> f32 {
        self.lines.len() as f32 * self.size * LEADING
    }
}

/// Draws the page and builds its tag tree as it goes.
struct Painter<'f> {
    fonts: &'f Fonts,
    tree: TagTree,
}

impl Painter<'_> {
    /// Draws a laid-out block centred on `centre`, from `top`; returns where it ends.
    fn block(&mut self, surface: &mut Surface<'_>, block: &Block, laid: &Laid, centre: f32, top: f32) -> f32 {
        let tag: TagKind = match block.role {
            Role::Heading => Tag::Hn(NonZeroU16::MIN, Some(block.text.clone())).into(),
            Role::Paragraph => Tag::P.into(),
        };
        let mut group = TagGroup::new(tag);
        let font = self.fonts.font(block.weight);
        let mut y = top;
        surface.set_fill(Some(fill(block.colour)));
        for line in &laid.lines {
            let width = self.fonts.width(line.trim_end(), block.weight, laid.size);
            // The baseline sits about an em below the top of the line.
            let baseline = y + laid.size * 1.02;
            let id = surface.start_tagged(ContentTag::Span(SpanTag::empty()));
            surface.draw_text(
                Point::from_xy(centre - width / 2.0, baseline),
                font.clone(),
                laid.size,
                line,
                false,
                TextDirection::Auto,
            );
            surface.end_tagged();
            group.push(id);
            y += laid.size * LEADING;
        }
        self.tree.push(group);
        y
    }

    /// Draws decoration that carries no meaning (the border, the signature line).
    fn artifact(surface: &mut Surface<'_>, draw: impl FnOnce(&mut Surface<'_>)) {
        surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(ArtifactType::Layout)));
        draw(surface);
        surface.end_tagged();
    }
}

fn fill(colour: (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(colour.0, colour.1, colour.2).into(),
        ..Fill::default()
    }
}

fn stroke(colour: (u8, u8, u8), width: f32) -> Stroke {
    Stroke {
        paint: rgb::Color::new(colour.0, colour.1, colour.2).into(),
        width,
        ..Stroke::default()
    }
}

/// The main column's paragraphs, top to bottom.
fn main_blocks(certificate: &Certificate, locale: Locale, text: &CertificateText) -> Vec<Block> {
    let mut blocks = Vec::new();
    // The run's institution issues the certificate; without a run, the installation.
    blocks.push(Block::new(certificate.issuer(&text.site_name), Weight::Bold, 15.0, NAVY, 0.0).shrinking(10.0, 2));
    let country = certificate.issuer_country();
    if !country.is_empty() {
        blocks.push(Block::new(
            i18n::t(locale, &format!("countries.{country}")),
            Weight::Regular,
            11.0,
            MUTED,
            1.0,
        ));
    }
    blocks.push(
        Block::new(i18n::t(locale, "certificates.pdf_title"), Weight::Bold, 36.0, INK, 14.0)
            .shrinking(24.0, 1)
            .heading(),
    );
    blocks.push(Block::new(
        i18n::t(locale, "certificates.pdf_certifies"),
        Weight::Regular,
        13.0,
        MUTED,
        10.0,
    ));
    blocks.push(Block::new(certificate.holder_name.clone(), Weight::Bold, 28.0, INK, 4.0).shrinking(18.0, 1));
    blocks.push(Block::new(
        i18n::t(locale, "certificates.pdf_completed"),
        Weight::Regular,
        13.0,
        MUTED,
        6.0,
    ));
    blocks.push(Block::new(certificate.course_title(locale), Weight::Bold, 20.0, INK, 4.0).shrinking(13.0, 2));
    if let Some(period) = &text.period {
        blocks.push(Block::new(
            i18n::t_with(locale, "certificate_pdf.period", &[("dates", period)]),
            Weight::Regular,
            11.5,
            INK,
            12.0,
        ));
    }
    let hours = crate::courses::reading::hours_label(locale, certificate.hours);
    blocks.push(Block::new(
        i18n::t_with(locale, "certificates.pdf_hours", &[("hours", &hours)]),
        Weight::Regular,
        11.5,
        INK,
        if text.period.is_some() { 2.0 } else { 12.0 },
    ));
    if certificate.validity(super::now()) != Validity::Valid {
        blocks.push(Block::new(
            i18n::t(locale, "certificates.pdf_not_valid"),
            Weight::Bold,
            14.0,
            WARNING,
            8.0,
        ));
    }
    blocks
}

/// Lays out the main column at the largest scale at which it fits between the top
/// (below the logo) and the foot row; returns each block's lines and the scale.
fn fit_column(fonts: &Fonts, blocks: &[Block], logo_height: f32) -> (Vec<Laid>, f32) {
    let mut scale = 1.0_f32;
    loop {
        let laid: Vec<Laid> = blocks.iter().map(|b| fonts.fit(b, scale, COLUMN)).collect();
        let height = column_height(blocks, &laid, scale) + logo_height * scale;
        if height <= FOOT_TOP - TOP || scale <= 0.4 {
            return (laid, scale);
        }
        scale -= 0.05;
    }
}

fn column_height(blocks: &[Block], laid: &[Laid], scale: f32) -> f32 {
    blocks
        .iter()
        .zip(laid)
        .map(|(block, laid)| block.space_before * scale + laid.height())
        .sum()
}

fn draw(
    fonts: &Fonts,
    certificate: &Certificate,
    locale: Locale,
    text: &CertificateText,
    accessible: bool,
    with_logo: bool,
) -> Result<Vec<u8>, String> {
    let mut settings = SerializeSettings {
        enable_tagging: true,
        ..SerializeSettings::default()
    };
    if accessible {
        settings.configuration = ConfigurationBuilder::new()
            .with_accessibility_validator(Accessibility::UA1)
            .finish()
            .map_err(|e| format!("{e:?}"))?;
    }
    let mut document = Document::new_with(settings);
    let title = format!(
        "{}: {}, {}",
        i18n::t(locale, "certificates.pdf_title"),
        certificate.holder_name,
        certificate.course_title(locale)
    );
    document.set_metadata(
        Metadata::new()
            .title(title)
            .language(locale.code().to_owned())
            .creator(text.site_name.clone()),
    );
    let size = Size::from_wh(WIDTH, HEIGHT).ok_or("bad page size")?;
    let mut painter = Painter {
        fonts,
        tree: TagTree::new().with_lang(Some(locale.code().to_owned())),
    };
    {
        let mut page = document.start_page_with(PageSettings::new(size));
        let mut surface = page.surface();
        draw_border(&mut surface);

        let logo = if with_logo {
            text.logo.as_ref().and_then(Logo::image)
        } else {
            None
        };
        let logo_box = logo.as_ref().and_then(|image| {
            let (w, h) = image.size();
            let fit = (LOGO_WIDTH / w.max(1) as f32).min(LOGO_HEIGHT / h.max(1) as f32);
            Size::from_wh(w as f32 * fit, h as f32 * fit)
        });
        // The logo and the gap beneath it, before the column is scaled to fit.
        let logo_height = logo_box.map_or(0.0, |b| b.height() + 10.0);
        let blocks = main_blocks(certificate, locale, text);
        let (laid, scale) = fit_column(fonts, &blocks, logo_height);
        // What room is left is shared above and below, so the column sits in the middle.
        let used = column_height(&blocks, &laid, scale) + logo_height * scale;
        let mut y = TOP + ((FOOT_TOP - TOP - used) / 2.0).max(0.0);
        if let (Some(image), Some(logo_box)) = (logo, logo_box) {
            let shown = Size::from_wh(logo_box.width() * scale, logo_box.height() * scale).unwrap_or(logo_box);
            // The institution's name beside it says what it is: decoration for a reader.
            Painter::artifact(&mut surface, |surface| {
                surface.push_transform(&Transform::from_translate(CENTRE - shown.width() / 2.0, y));
                surface.draw_image(image, shown);
                surface.pop();
            });
            y += logo_height * scale;
        }
        for (block, laid) in blocks.iter().zip(&laid) {
            y += block.space_before * scale;
            y = painter.block(&mut surface, block, laid, CENTRE, y);
        }

        draw_foot(&mut painter, &mut surface, certificate, locale, text)?;
        surface.finish();
        page.finish();
    }
    // PDF/UA asks for an outline; a one-page certificate's is its one heading.
    let mut outline = Outline::new();
    outline.push_child(OutlineNode::new(
        i18n::t(locale, "certificates.pdf_title"),
        XyzDestination::new(0, Point::from_xy(0.0, 0.0)),
    ));
    document.set_outline(outline);
    document.set_tag_tree(painter.tree);
    document.finish().map_err(|e| format!("{e:?}"))
}

/// A thin double rule inside the page's edge.
fn draw_border(surface: &mut Surface<'_>) {
    Painter::artifact(surface, |surface| {
        for (inset, width) in [(20.0, 2.0), (26.0, 0.75)] {
            let mut builder = PathBuilder::new();
            if let Some(rect) = Rect::from_xywh(inset, inset, WIDTH - 2.0 * inset, HEIGHT - 2.0 * inset) {
                builder.push_rect(rect);
            }
            if let Some(path) = builder.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(stroke(NAVY, width)));
                surface.draw_path(&path);
            }
        }
        surface.set_stroke(None);
    });
}

/// The foot row: the signatory left, the date of issue and number in the middle,
/// the QR code right; the verification address across the bottom.
fn draw_foot(
    painter: &mut Painter<'_>,
    surface: &mut Surface<'_>,
    certificate: &Certificate,
    locale: Locale,
    text: &CertificateText,
) -> Result<(), String> {
    let fonts = painter.fonts;
    // No signatory configured: no empty line for one (see README).
    if !certificate.signatory_name.is_empty() {
        let line_y = FOOT_TOP + 40.0;
        Painter::artifact(surface, |surface| {
            let mut builder = PathBuilder::new();
            builder.move_to(SIGNATORY_CENTRE - 100.0, line_y);
            builder.line_to(SIGNATORY_CENTRE + 100.0, line_y);
            if let Some(path) = builder.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(stroke(INK, 0.75)));
                surface.draw_path(&path);
                surface.set_stroke(None);
            }
        });
        let name = Block::new(certificate.signatory_name.clone(), Weight::Bold, 11.0, INK, 0.0).shrinking(8.0, 1);
        let laid = fonts.fit(&name, 1.0, SIGNATORY_WIDTH);
        let below_name = painter.block(surface, &name, &laid, SIGNATORY_CENTRE, line_y + 4.0);
        if !certificate.signatory_position.is_empty() {
            let position =
                Block::new(certificate.signatory_position.clone(), Weight::Regular, 9.5, MUTED, 0.0).shrinking(7.0, 3);
            let laid = fonts.fit(&position, 1.0, SIGNATORY_WIDTH);
            painter.block(surface, &position, &laid, SIGNATORY_CENTRE, below_name + 1.0);
        }
    }

    let mut middle = vec![
        Block::new(
            i18n::t_with(locale, "certificates.pdf_date", &[("date", &text.date)]),
            Weight::Regular,
            10.5,
            INK,
            0.0,
        )
        .shrinking(8.0, 1),
        Block::new(
            i18n::t_with(locale, "certificates.pdf_number", &[("code", &certificate.code)]),
            Weight::Regular,
            10.0,
            INK,
            2.0,
        )
        .shrinking(7.5, 1),
    ];
    if let Some(expires) = &text.expires {
        middle.push(
            Block::new(
                i18n::t_with(locale, "certificates.pdf_expires", &[("date", expires)]),
                Weight::Regular,
                10.0,
                INK,
                2.0,
            )
            .shrinking(7.5, 1),
        );
    }
    let mut y = FOOT_TOP + 34.0;
    for block in &middle {
        let laid = fonts.fit(block, 1.0, MIDDLE_WIDTH);
        y = painter.block(surface, block, &laid, CENTRE, y + block.space_before);
    }

    draw_qr(painter, surface, locale, &text.verify_url, QR_X, FOOT_TOP)?;

    let verify = Block::new(
        i18n::t_with(locale, "certificates.pdf_verify", &[("url", &text.verify_url)]),
        Weight::Regular,
        9.0,
        MUTED,
        0.0,
    )
    .shrinking(7.0, 1);
    let laid = fonts.fit(&verify, 1.0, COLUMN);
    // The last line ends above the inner rule, however many lines it takes.
    let top = (HEIGHT - 34.0 - laid.height()).min(FOOT_TOP + QR_SIDE + 6.0);
    painter.block(surface, &verify, &laid, CENTRE, top);
    Ok(())
}

/// Draws the QR code of `url` as black squares in a `QR_SIDE`-point square, tagged as
/// a figure whose text alternative gives the address.
fn draw_qr(
    painter: &mut Painter<'_>,
    surface: &mut Surface<'_>,
    locale: Locale,
    url: &str,
    x: f32,
    y: f32,
) -> Result<(), String> {
    let code = QrCode::encode_text(url, QrCodeEcc::Medium)
        .map_err(|_| "the verification address is too long for a QR code".to_owned())?;
    let modules = code.size();
    let quiet = 2;
    let cell = QR_SIDE / (modules + 2 * quiet) as f32;
    let mut builder = PathBuilder::new();
    for row in 0..modules {
        for column in 0..modules {
            if code.get_module(column, row) {
                let (cx, cy) = (x + (column + quiet) as f32 * cell, y + (row + quiet) as f32 * cell);
                if let Some(rect) = Rect::from_xywh(cx, cy, cell, cell) {
                    builder.push_rect(rect);
                }
            }
        }
    }
    let alt = i18n::t_with(locale, "certificate_pdf.qr_alt", &[("url", url)]);
    let mut figure = Tag::Figure(Some(alt));
    if let Some(bounds) = Rect::from_xywh(x, y, QR_SIDE, QR_SIDE) {
        figure = figure.with_bbox(Some(BBox::new(0, bounds)));
    }
    let mut group = TagGroup::new(figure);
    let id = surface.start_tagged(ContentTag::Other);
    surface.set_fill(Some(fill((0, 0, 0))));
    if let Some(path) = builder.finish() {
        surface.draw_path(&path);
    }
    surface.end_tagged();
    group.push(id);
    painter.tree.push(group);
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::accounts::model::UserId;

    fn certificate(name: &str, title: &str) -> Certificate {
        Certificate {
            code: "D33D3-4EEWZ-N4D2P-Z5HNU".into(),
            user_id: UserId(1),
            course_id: "course".into(),
            run_id: Some(crate::enrolment::RunId(1)),
            holder_name: name.into(),
            course_titles: serde_json::json!({ "uz": title, "en": title }).to_string(),
            institution: "Oʻzbekiston Respublikasi Ichki ishlar vazirligi Akademiyasining Kiberjinoyatchilikka qarshi kurashish markazi".into(),
            country: "UZ".into(),
            hours: 36.0,
            issued_at: chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap().and_hms_opt(10, 0, 0).unwrap(),
            expires_at: None,
            revoked_at: None,
            revoked_reason: None,
            revoked_by: None,
            signatory_name: "Alisher Karimov".into(),
            signatory_position: "Akademiya boshligʻi".into(),
            period_starts: None,
            period_ends: None,
        }
    }

    fn text() -> CertificateText {
        CertificateText {
            site_name: "Bilim".into(),
            verify_url: "https://bilim.example.uz/verify/D33D3-4EEWZ-N4D2P-Z5HNU".into(),
            date: "2026-yil 7-dekabr".into(),
            expires: None,
            period: Some("2026-yil 1-dekabr – 2026-yil 7-dekabr".into()),
            logo: None,
        }
    }

    /// Every line of the main column fits its width and the column ends above the
    /// foot row, at the longest lengths the forms allow and with a logo.
    #[test]
    fn the_longest_names_and_titles_shrink_and_wrap_inside_the_page() {
        let fonts = Fonts::load().unwrap();
        let long_name = "Шаҳриёр ".repeat(25);
        let long_title = "Электрондық дәлелдемелерді жинау және сақтау ".repeat(7);
        for (name, title) in [
            ("Oʻlmas Qoʻchqorov", "Kiberjinoyatchilikka qarshi kurashish asoslari"),
            (long_name.trim(), "Kiberjinoyatchilikka qarshi kurashish asoslari"),
            ("Oʻlmas Qoʻchqorov", long_title.trim()),
            (long_name.trim(), long_title.trim()),
            (&"W".repeat(200), &"W".repeat(300)),
        ] {
            let blocks = main_blocks(&certificate(name, title), Locale::Uz, &text());
            for logo in [0.0, LOGO_HEIGHT + 10.0] {
                let (laid, scale) = fit_column(&fonts, &blocks, logo);
                assert!(
                    column_height(&blocks, &laid, scale) + logo * scale <= FOOT_TOP - TOP,
                    "{name}: the column runs into the foot"
                );
                for (block, laid) in blocks.iter().zip(&laid) {
                    for line in &laid.lines {
                        let width = fonts.width(line.trim_end(), block.weight, laid.size);
                        assert!(width <= COLUMN, "{line} is {width} wide");
                    }
                    let whole: String = block.text.split_whitespace().collect::<Vec<_>>().join(" ");
                    assert_eq!(laid.lines.concat(), whole, "nothing is cut off, word breaks kept");
                }
            }
        }
    }

    #[test]
    fn a_short_name_stays_large_on_one_line() {
        let fonts = Fonts::load().unwrap();
        let blocks = main_blocks(&certificate("Oʻlmas Qoʻchqorov", "Demo"), Locale::Uz, &text());
        let (laid, scale) = fit_column(&fonts, &blocks, 0.0);
        assert!((scale - 1.0).abs() < f32::EPSILON);
        let name = blocks.iter().position(|b| b.text == "Oʻlmas Qoʻchqorov").unwrap();
        assert_eq!(laid[name].lines.len(), 1);
        assert!((laid[name].size - 28.0).abs() < f32::EPSILON);
    }

    #[test]
    fn a_word_wider_than_the_line_is_cut_between_letters() {
        let fonts = Fonts::load().unwrap();
        let address = format!("https://bilim.example.uz/verify/{}", "X".repeat(80));
        let lines = fonts.wrap(&address, Weight::Regular, 12.0, 200.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), address);
        assert!(lines.iter().all(|l| fonts.width(l, Weight::Regular, 12.0) <= 200.0));
    }

    #[test]
    fn the_certificate_renders_as_pdf_ua_with_and_without_a_signatory() {
        let mut unsigned = certificate("Oʻlmas Qoʻchqorov", "Demo");
        unsigned.signatory_name.clear();
        unsigned.signatory_position.clear();
        for certificate in [certificate("Oʻlmas Qoʻchqorov", "Demo"), unsigned] {
            let fonts = Fonts::load().unwrap();
            let drawn = draw(&fonts, &certificate, Locale::Uz, &text(), true, true);
            assert!(drawn.is_ok(), "{:?}", drawn.err());
        }
    }
}
