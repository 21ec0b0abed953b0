//! Report tables as downloads. CSV is UTF-8 with a byte-order mark, so that
//! spreadsheet programs open Cyrillic and Uzbek/Turkmen Latin correctly; XLSX keeps
//! figures as numbers.

use actix_web::HttpResponse;
use chrono::Utc;

use super::tables::{Figure, Table};
use crate::error::AppResult;
use crate::web::export::{self, export_failed};

/// A kind of file a report table downloads as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Csv,
    Xlsx,
}

impl FileType {
    /// The format of a download's file name extension, if it is one.
    pub fn from_extension(extension: &str) -> Option<FileType> {
        match extension {
            "csv" => Some(FileType::Csv),
            "xlsx" => Some(FileType::Xlsx),
            _ => None,
        }
    }

    fn extension(self) -> &'static str {
        match self {
            FileType::Csv => "csv",
            FileType::Xlsx => "xlsx",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            FileType::Csv => export::CSV,
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// The table as a file to download, named after the table and today's date.
    pub fn attachment(self, table: &Table) -> AppResult<HttpResponse> {
        let bytes = match self {
            FileType::Csv => csv_bytes(table)?,
            FileType::Xlsx => xlsx_bytes(table)?,
        };
        let filename = format!("bilim-{}-{}.{}", table.name, Utc::now().date_naive(), self.extension());
        Ok(export::attachment(self.content_type(), &filename, bytes))
    }
}

fn csv_bytes(table: &Table) -> AppResult<Vec<u8>> {
    export::csv_document(
        &table.headings,
        table
            .rows
            .iter()
            .map(|row| row.cells.iter().map(|cell| cell.text.as_str())),
    )
}

/// One worksheet with a bold heading row; figures are numbers (percentages as
/// fractions with a percent format), everything else text, so no cell is a formula.
fn xlsx_bytes(table: &Table) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let heading = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");
    let points = Format::new().set_num_format("+0.0;-0.0;0.0");
    let sheet = workbook.add_worksheet();
    sheet.set_name(table.name).map_err(export_failed)?;
    for (col, text) in (0_u16..).zip(&table.headings) {
        sheet
            .write_string_with_format(0, col, text, &heading)
            .map_err(export_failed)?;
    }
    for (row_index, row) in (1_u32..).zip(&table.rows) {
        for (col, cell) in (0_u16..).zip(&row.cells) {
            match cell.figure {
                #[allow(clippy::cast_precision_loss)]
                Some(Figure::Count(n)) => sheet.write_number(row_index, col, n as f64),
                Some(Figure::Percent(v)) => sheet.write_number_with_format(row_index, col, v / 100.0, &percent),
                Some(Figure::Points(v)) => sheet.write_number_with_format(row_index, col, v, &points),
                None => sheet.write_string(row_index, col, &cell.text),
            }
            .map_err(export_failed)?;
        }
    }
    sheet.autofit();
    workbook.save_to_buffer().map_err(export_failed)
}
