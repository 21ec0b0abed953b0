//! Who may edit and who may approve a cell. Checked on the server for every authoring
//! action; the pages only hide what the server would refuse.
//!
//! - Administrators edit and approve anything, the base included.
//! - A trainer edits the national adaptations of their own profile country (in any
//!   language) and the translations in the languages assigned to them.
//! - Approvers: another trainer who may edit the cell, a coordinator of an institution
//!   of the cell's country (for a translation: the country whose language it is), or an
//!   administrator. Nobody approves their own last edit (checked by the workflow).

use super::model::TextKey;
use super::store;
use crate::accounts::model::{Country, Role, User};
use crate::db::DbConnection;
use crate::error::AppResult;

/// A signed-in person with what authoring needs to know about them.
#[derive(Debug, Clone)]
pub struct Author {
    pub user: User,
    /// Languages assigned to them for translation.
    pub languages: Vec<String>,
    /// The country of their institution (coordinators approve for it).
    pub institution_country: Option<Country>,
}

impl Author {
    pub fn load(conn: &mut DbConnection, user: User) -> AppResult<Self> {
        let languages = store::languages_of(conn, user.id)?;
        let institution_country = match user.institution_id {
            Some(id) => crate::institutions::find(conn, id)?.map(|i| i.country),
            None => None,
        };
        Ok(Author {
            user,
            languages,
            institution_country,
        })
    }

    /// Whether they may use the authoring tools at all.
    pub fn is_author(&self) -> bool {
        matches!(self.user.role, Role::Admin | Role::Trainer | Role::Coordinator)
    }

    /// Whether they may write in this text (`is_base`: it is the module's base text).
    pub fn may_edit(&self, text: &TextKey, is_base: bool) -> bool {
        match self.user.role {
            Role::Admin => true,
            Role::Trainer if text.is_adaptation() => self.user.country.is_some_and(|c| same_country(c, &text.country)),
            Role::Trainer => !is_base && self.languages.iter().any(|l| l == &text.language),
            _ => false,
        }
    }

    /// Whether they may approve work in this text (the four-eyes rule aside).
    pub fn may_approve(&self, text: &TextKey, is_base: bool) -> bool {
        if self.may_edit(text, is_base) {
            return true;
        }
        if self.user.role != Role::Coordinator || is_base {
            return false;
        }
        let Some(country) = self.institution_country else {
            return false;
        };
        if text.is_adaptation() {
            same_country(country, &text.country)
        } else {
            language_of_country(country) == Some(text.language.as_str())
        }
    }
}

/// Stored cells name countries in lower case (`kz`), profiles in upper case (`KZ`).
pub fn same_country(country: Country, code: &str) -> bool {
    country != Country::Other && country.code().eq_ignore_ascii_case(code)
}

/// The national language of a country of the region.
pub fn language_of_country(country: Country) -> Option<&'static str> {
    match country {
        Country::Kz => Some("kk"),
        Country::Kg => Some("ky"),
        Country::Tj => Some("tg"),
        Country::Tm => Some("tk"),
        Country::Uz => Some("uz"),
        Country::Other => None,
    }
}
