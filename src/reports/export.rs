//! Report tables as downloads. CSV is UTF-8 with a byte-order mark, so that
//! spreadsheet programs open Cyrillic and Uzbek/Turkmen Latin correctly, separated by
//! `;` (`,` for English) with figures as plain numbers; XLSX keeps figures as numbers.

use actix_web::HttpResponse;
use chrono::Utc;

use super::tables::{Cell, Figure, Table};
use crate::error::AppResult;
use crate::i18n::Locale;
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
    pub fn attachment(self, table: &Table, locale: Locale) -> AppResult<HttpResponse> {
        let bytes = match self {
            FileType::Csv => csv_bytes(table, locale)?,
            FileType::Xlsx => xlsx_bytes(table)?,
        };
        let filename = format!("bilim-{}-{}.{}", table.name, Utc::now().date_naive(), self.extension());
        Ok(export::attachment(self.content_type(), &filename, bytes))
    }
}

/// Figures as plain numbers in the reader's decimal convention, so that spreadsheet
/// programs calculate with them: a percentage without its sign (its column's heading
/// says "(%)"), points with an ASCII minus. The languages of the region write a
/// decimal comma, so their files are separated by `;`, as their spreadsheet programs
/// expect; English, with a decimal point, by `,`.
fn csv_bytes(table: &Table, locale: Locale) -> AppResult<Vec<u8>> {
    let percent_column = |index: usize| {
        table
            .rows
            .iter()
            .any(|row| matches!(row.cells.get(index).and_then(|c| c.figure), Some(Figure::Percent(_))))
    };
    let headings: Vec<String> = table
        .headings
        .iter()
        .enumerate()
        .map(|(index, heading)| {
            if percent_column(index) {
                format!("{heading} (%)")
            } else {
                heading.clone()
            }
        })
        .collect();
    export::csv_document_separated(
        if locale == Locale::En { b',' } else { b';' },
        &headings,
        table.rows.iter().map(|row| row.cells.iter().map(csv_cell)),
    )
}

/// A cell as the CSV file writes it: figures as numbers, everything else as shown.
fn csv_cell(cell: &Cell) -> String {
    match cell.figure {
        Some(Figure::Percent(_)) => cell
            .text
            .trim_end_matches('%')
            .trim_end_matches(['\u{a0}', ' '])
            .to_owned(),
        Some(Figure::Points(_)) => cell.text.replace('\u{2212}', "-"),
        Some(Figure::Count(_)) | None => cell.text.clone(),
    }
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
