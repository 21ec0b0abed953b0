//! The certificate as a PDF: A4 landscape, real text in DejaVu Sans (which has every
//! letter of the seven languages and ships with Bilim under its permissive licence),
//! and a QR code pointing to the verification page. krilla shapes and subsets the
//! font, so the text can be selected, searched and extracted.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size};
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};
use krilla::{Data, Document};
use qrcodegen::{QrCode, QrCodeEcc};

use super::{Certificate, Validity};
use crate::error::AppError;
use crate::i18n::{self, Locale};

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

const WIDTH: f32 = 842.0;
const HEIGHT: f32 = 595.0;
const MARGIN: f32 = 56.0;
/// DejaVu Sans averages a little over half an em per character; used to wrap lines.
const AVERAGE_ADVANCE: f32 = 0.56;

fn fill(red: u8, green: u8, blue: u8) -> Fill {
    Fill {
        paint: rgb::Color::new(red, green, blue).into(),
        ..Fill::default()
    }
}

/// Splits text into lines of at most `width` points at `size`.
fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let per_line = ((width / (size * AVERAGE_ADVANCE)).floor().max(10.0)) as usize;
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > per_line {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

pub struct CertificateText {
    pub site_name: String,
    pub verify_url: String,
    pub date: String,
    pub expires: Option<String>,
}

/// Renders a certificate in `locale`.
pub fn render(certificate: &Certificate, locale: Locale, text: &CertificateText) -> Result<Vec<u8>, AppError> {
    let regular =
        Font::new(Data::from(REGULAR), 0).ok_or_else(|| AppError::internal("the certificate font cannot be read"))?;
    let bold =
        Font::new(Data::from(BOLD), 0).ok_or_else(|| AppError::internal("the certificate font cannot be read"))?;
    let size = Size::from_wh(WIDTH, HEIGHT).ok_or_else(|| AppError::internal("bad page size"))?;
    let mut document = Document::new();
    {
        let mut page = document.start_page_with(PageSettings::new(size));
        let mut surface = page.surface();

        // A calm frame: a dark band on the left and a thin rule around the page.
        surface.set_fill(Some(fill(11, 61, 107)));
        let mut band = PathBuilder::new();
        if let Some(rect) = Rect::from_xywh(0.0, 0.0, 18.0, HEIGHT) {
            band.push_rect(rect);
        }
        for (x, y, w, h) in [
            (28.0, 28.0, WIDTH - 56.0, 1.5),
            (28.0, HEIGHT - 29.5, WIDTH - 56.0, 1.5),
            (28.0, 28.0, 1.5, HEIGHT - 56.0),
            (WIDTH - 29.5, 28.0, 1.5, HEIGHT - 56.0),
        ] {
            if let Some(rect) = Rect::from_xywh(x, y, w, h) {
                band.push_rect(rect);
            }
        }
        if let Some(path) = band.finish() {
            surface.draw_path(&path);
        }

        let mut y = MARGIN;
        let dark = fill(27, 31, 36);
        let muted = fill(74, 83, 96);
        let line = |surface: &mut krilla::surface::Surface<'_>,
                    font: &Font,
                    size: f32,
                    content: &str,
                    colour: &Fill,
                    y: &mut f32| {
            // `y` is the top of the line; text is drawn on its baseline.
            *y += size;
            surface.set_fill(Some(colour.clone()));
            surface.draw_text(
                Point::from_xy(MARGIN + 12.0, *y),
                font.clone(),
                size,
                content,
                false,
                TextDirection::Auto,
            );
            *y += size * 0.4;
        };
        line(&mut surface, &bold, 14.0, &text.site_name, &muted, &mut y);
        y += 18.0;
        line(
            &mut surface,
            &bold,
            32.0,
            &i18n::t(locale, "certificates.pdf_title"),
            &dark,
            &mut y,
        );
        y += 8.0;
        line(
            &mut surface,
            &regular,
            14.0,
            &i18n::t(locale, "certificates.pdf_certifies"),
            &muted,
            &mut y,
        );
        y += 4.0;
        for part in wrap(&certificate.holder_name, 26.0, WIDTH - 2.0 * MARGIN - 170.0) {
            line(&mut surface, &bold, 26.0, &part, &dark, &mut y);
        }
        y += 4.0;
        line(
            &mut surface,
            &regular,
            14.0,
            &i18n::t(locale, "certificates.pdf_completed"),
            &muted,
            &mut y,
        );
        y += 4.0;
        for part in wrap(&certificate.course_title(locale), 20.0, WIDTH - 2.0 * MARGIN - 170.0) {
            line(&mut surface, &bold, 20.0, &part, &dark, &mut y);
        }
        y += 10.0;
        let hours = crate::courses::reading::hours_label(locale, certificate.hours);
        let mut details = vec![i18n::t_with(locale, "certificates.pdf_hours", &[("hours", &hours)])];
        // The run's institution issues the certificate; without a run, the installation.
        let issuer = certificate.issuer(&text.site_name);
        let country = certificate.issuer_country();
        details.push(if country.is_empty() {
            i18n::t_with(locale, "certificates.pdf_issuer", &[("issuer", &issuer)])
        } else {
            let country = i18n::t(locale, &format!("countries.{country}"));
            i18n::t_with(
                locale,
                "certificates.pdf_institution",
                &[("institution", &issuer), ("country", &country)],
            )
        });
        details.push(i18n::t_with(locale, "certificates.pdf_date", &[("date", &text.date)]));
        if let Some(expires) = &text.expires {
            details.push(i18n::t_with(locale, "certificates.pdf_expires", &[("date", expires)]));
        }
        for detail in details {
            for part in wrap(&detail, 12.0, WIDTH - 2.0 * MARGIN - 170.0) {
                line(&mut surface, &regular, 12.0, &part, &dark, &mut y);
            }
        }
        if certificate.validity(super::now()) != Validity::Valid {
            y += 6.0;
            line(
                &mut surface,
                &bold,
                14.0,
                &i18n::t(locale, "certificates.pdf_not_valid"),
                &fill(176, 0, 32),
                &mut y,
            );
        }

        // Number and verification address as text, at the foot of the page.
        let mut foot = HEIGHT - MARGIN - 36.0;
        line(
            &mut surface,
            &regular,
            11.0,
            &i18n::t_with(locale, "certificates.pdf_number", &[("code", &certificate.code)]),
            &dark,
            &mut foot,
        );
        line(
            &mut surface,
            &regular,
            11.0,
            &i18n::t_with(locale, "certificates.pdf_verify", &[("url", &text.verify_url)]),
            &dark,
            &mut foot,
        );

        draw_qr(
            &mut surface,
            &text.verify_url,
            WIDTH - MARGIN - 130.0,
            HEIGHT - MARGIN - 150.0,
            130.0,
        )?;
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| AppError::internal(format!("cannot write the certificate PDF: {e:?}")))
}

/// Draws the QR code of `url` as black squares in a `side`-point square.
fn draw_qr(surface: &mut krilla::surface::Surface<'_>, url: &str, x: f32, y: f32, side: f32) -> Result<(), AppError> {
    let code = QrCode::encode_text(url, QrCodeEcc::Medium)
        .map_err(|_| AppError::internal("the verification address is too long for a QR code"))?;
    let modules = code.size();
    let quiet = 2;
    #[allow(clippy::cast_precision_loss)]
    let cell = side / (modules + 2 * quiet) as f32;
    let mut builder = PathBuilder::new();
    for row in 0..modules {
        for column in 0..modules {
            if code.get_module(column, row) {
                #[allow(clippy::cast_precision_loss)]
                let (cx, cy) = (x + (column + quiet) as f32 * cell, y + (row + quiet) as f32 * cell);
                if let Some(rect) = Rect::from_xywh(cx, cy, cell, cell) {
                    builder.push_rect(rect);
                }
            }
        }
    }
    surface.set_fill(Some(fill(0, 0, 0)));
    if let Some(path) = builder.finish() {
        surface.draw_path(&path);
    }
    Ok(())
}
