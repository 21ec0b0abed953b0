//! Law-enforcement training institutions. Each belongs to one country; coordinators
//! and, later, course runs belong to an institution.

pub mod api;
pub mod web;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::model::{Country, UserId};
use crate::audit;
use crate::db::schema::institutions;
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::validation::{self, FieldErrors};

crate::id_type!(
    /// A training institution's id.
    InstitutionId
);

pub const NAME_MAX_CHARS: usize = 200;
/// A signatory's name as printed under the signature line.
pub const SIGNATORY_NAME_MAX_CHARS: usize = 120;
/// A signatory's position ("Head of the Academy of the Ministry of Internal Affairs,
/// Major General of Police"): long official titles fit, and the PDF wraps them.
pub const SIGNATORY_POSITION_MAX_CHARS: usize = 200;

/// An institution as stored and as `/api/v1/institutions` lists it (a contract).
#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = institutions)]
pub struct Institution {
    pub id: InstitutionId,
    pub name: String,
    pub country: Country,
}

/// Who signs the certificates an institution issues: printed under a signature line.
/// Both texts are empty while none is configured; then certificates carry no signature
/// line. The position is one text for certificates in every language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Queryable, Selectable)]
#[diesel(table_name = institutions)]
pub struct Signatory {
    #[diesel(column_name = signatory_name)]
    pub name: String,
    #[diesel(column_name = signatory_position)]
    pub position: String,
}

impl Signatory {
    /// Trims and checks a signatory as an administrator typed it: each text one line
    /// within its limit; a position needs a name (a signature line with a title and no
    /// one to sign it says nothing). Both empty clear the signatory.
    pub fn validate(name: &str, position: &str) -> AppResult<Signatory> {
        let mut errors = FieldErrors::new();
        let name = name.trim();
        let position = position.trim();
        for (field, value, max) in [
            ("signatory_name", name, SIGNATORY_NAME_MAX_CHARS),
            ("signatory_position", position, SIGNATORY_POSITION_MAX_CHARS),
        ] {
            if value.chars().count() > max {
                errors.add_with(field, "validation.too_long", vec![("max", max.to_string())]);
            } else if value.contains(['\n', '\r']) {
                errors.add(field, "validation.line_break");
            } else if value.chars().any(|c| c.is_control() || validation::is_bidi_control(c)) {
                // A tab too: nothing in a printed name or title needs one.
                errors.add(field, "validation.control_characters");
            }
        }
        if name.is_empty() && !position.is_empty() && !errors.has("signatory_position") {
            errors.add("signatory_name", "institution_signatory.name_needed");
        }
        errors.check(Signatory {
            name: name.to_owned(),
            position: position.to_owned(),
        })
    }

    pub fn is_set(&self) -> bool {
        !self.name.is_empty()
    }
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

/// Every institution with its signatory, by country and name, for the administrators' list.
pub fn list_with_signatories(conn: &mut DbConnection) -> AppResult<Vec<(Institution, Signatory)>> {
    Ok(institutions::table
        .order((institutions::country.asc(), institutions::name.asc()))
        .select((Institution::as_select(), Signatory::as_select()))
        .load(conn)?)
}

/// An institution and who signs its certificates.
pub fn find_with_signatory(conn: &mut DbConnection, id: InstitutionId) -> AppResult<Option<(Institution, Signatory)>> {
    Ok(institutions::table
        .find(id)
        .select((Institution::as_select(), Signatory::as_select()))
        .first(conn)
        .optional()?)
}

/// Sets who signs the institution's certificates from now on (certificates issued
/// before keep theirs). A change is recorded in the audit log with the fields that
/// changed, not their values: the log keeps no names. Saving the same texts again
/// changes nothing and records nothing.
pub fn set_signatory(
    conn: &mut DbConnection,
    actor: UserId,
    id: InstitutionId,
    signatory: &Signatory,
    now: NaiveDateTime,
) -> AppResult<()> {
    db::write_transaction(conn, |conn| {
        let (_, before) = find_with_signatory(conn, id)?.ok_or(AppError::NotFound)?;
        let mut changed = Vec::new();
        if before.name != signatory.name {
            changed.push("signatory_name");
        }
        if before.position != signatory.position {
            changed.push("signatory_position");
        }
        if changed.is_empty() {
            return Ok(());
        }
        diesel::update(institutions::table.find(id))
            .set((
                institutions::signatory_name.eq(&signatory.name),
                institutions::signatory_position.eq(&signatory.position),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            audit::Entry {
                actor: Some(actor),
                action: audit::Action::InstitutionChanged,
                subject: format!("institution:{id}"),
                details: serde_json::json!({ "changed": changed, "signatory_set": signatory.is_set() }),
            },
            now,
        )
    })
}
