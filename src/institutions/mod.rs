//! Law-enforcement training institutions. Each belongs to one country; coordinators
//! and, later, course runs belong to an institution.

pub mod api;
pub mod web;

use chrono::Utc;
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::model::Country;
use crate::db::schema::institutions;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::validation::{self, FieldErrors};

crate::id_type!(
    /// A training institution's id.
    InstitutionId
);

pub const NAME_MAX_CHARS: usize = 200;

/// An institution as stored and as `/api/v1/institutions` lists it (a contract).
#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = institutions)]
pub struct Institution {
    pub id: InstitutionId,
    pub name: String,
    pub country: Country,
}

/// A checked request to create an institution.
pub struct NewInstitution {
    pub name: String,
    pub country: Country,
}

impl NewInstitution {
    pub fn validate(name: &str, country: &str) -> AppResult<NewInstitution> {
        let mut errors = FieldErrors::new();
        let name = validation::required_text(&mut errors, "name", name, NAME_MAX_CHARS, "institutions.name_missing");
        let country = Country::parse(country);
        if country.is_none() {
            errors.add("country", "validation.country_invalid");
        }
        match country {
            Some(country) if errors.is_empty() => Ok(NewInstitution { name, country }),
            _ => Err(errors.into()),
        }
    }
}

/// The conflict [`create`] reports when the country already has an institution of
/// that name: the API answers 409 with it, the form shows it beside the name.
pub const DUPLICATE: &str = "institutions.duplicate";

pub fn create(conn: &mut DbConnection, new: &NewInstitution) -> AppResult<InstitutionId> {
    diesel::insert_into(institutions::table)
        .values((
            institutions::name.eq(&new.name),
            institutions::country.eq(new.country),
            institutions::created_at.eq(Utc::now().naive_utc()),
        ))
        .returning(institutions::id)
        .get_result(conn)
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                AppError::Conflict(DUPLICATE)
            }
            other => other.into(),
        })
}

/// Every institution, by country and name. The list is short (tens per country).
pub fn list(conn: &mut DbConnection) -> AppResult<Vec<Institution>> {
    Ok(institutions::table
        .order((institutions::country.asc(), institutions::name.asc()))
        .select(Institution::as_select())
        .load(conn)?)
}

pub fn find(conn: &mut DbConnection, id: InstitutionId) -> AppResult<Option<Institution>> {
    Ok(institutions::table
        .find(id)
        .select(Institution::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_name(conn: &mut DbConnection, country: Country, name: &str) -> AppResult<Option<Institution>> {
    Ok(institutions::table
        .filter(institutions::country.eq(country))
        .filter(institutions::name.eq(name))
        .select(Institution::as_select())
        .first(conn)
        .optional()?)
}
