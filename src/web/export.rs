//! Spreadsheet downloads. CSV is UTF-8 with a byte-order mark, so that spreadsheet
//! programs open Cyrillic and Uzbek/Turkmen Latin correctly, and no cell can run as
//! a formula.

use actix_web::http::header;
use actix_web::HttpResponse;

use crate::error::{AppError, AppResult};

pub fn export_failed(error: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("writing an export: {error}"))
}

/// A CSV document of a heading row and data rows, separated by commas.
pub fn csv_document<H, R, C>(headings: H, rows: R) -> AppResult<Vec<u8>>
where
    H: IntoIterator,
    H::Item: AsRef<str>,
    R: IntoIterator<Item = C>,
    C: IntoIterator,
    C::Item: AsRef<str>,
{
    csv_document_separated(b',', headings, rows)
}

/// A CSV document whose cells are separated by `separator`: `;` for tables of figures
/// written with a decimal comma, which spreadsheet programs set to the languages of
/// the region read as numbers only in a file separated by semicolons.
pub fn csv_document_separated<H, R, C>(separator: u8, headings: H, rows: R) -> AppResult<Vec<u8>>
where
    H: IntoIterator,
    H::Item: AsRef<str>,
    R: IntoIterator<Item = C>,
    C: IntoIterator,
    C::Item: AsRef<str>,
{
    let mut writer = csv::WriterBuilder::new()
        .delimiter(separator)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    writer
        .write_record(headings.into_iter().map(|h| neutralise_formula(h.as_ref())))
        .map_err(export_failed)?;
    for row in rows {
        writer
            .write_record(row.into_iter().map(|cell| neutralise_formula(cell.as_ref())))
            .map_err(export_failed)?;
    }
    writer.into_inner().map_err(export_failed)
}

/// Names and emails come from users; a cell starting with = + - @ would run as a
/// formula in a spreadsheet, so it gets a leading apostrophe (OWASP CSV injection).
/// Signed numbers such as a gain of "+12.5" stay numbers.
pub fn neutralise_formula(cell: &str) -> String {
    let signed_number = cell
        .strip_prefix(['+', '-'])
        .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ','));
    if !signed_number && cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// A download that is not cached anywhere but in the reader's browser.
pub fn attachment(content_type: &str, filename: &str, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type.to_owned())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes)
}

pub const CSV: &str = "text/csv; charset=utf-8";
