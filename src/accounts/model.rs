//! Who a user is: roles, countries, professional categories and the user record.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::users;
use crate::error::AppError;
use crate::i18n::Locale;

crate::text_enum!(Role {
    Learner => "learner",
    Trainer => "trainer",
    Coordinator => "coordinator",
    Admin => "admin",
    Observer => "observer",
});

crate::text_enum!(Country {
    Kz => "KZ",
    Kg => "KG",
    Tj => "TJ",
    Tm => "TM",
    Uz => "UZ",
    Other => "OTHER",
});

crate::text_enum!(Category {
    PoliceOfficer => "police_officer",
    Investigator => "investigator",
    Prosecutor => "prosecutor",
    Judge => "judge",
    Trainer => "trainer",
    Other => "other",
});

crate::text_enum!(Gender { Female => "female", Male => "male" });

impl Role {
    /// Staff roles read every course and see teaching tools.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Trainer | Role::Coordinator | Role::Admin)
    }
}

impl Country {
    /// Accepts `KZ`, `kz`, `other`…: country codes arrive in either case.
    pub fn parse(code: &str) -> Option<Country> {
        Country::from_code(&code.trim().to_ascii_uppercase())
    }
}

/// A user as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: String,
    pub country: Option<String>,
    pub institution_id: Option<i64>,
    pub category: String,
    pub locale: String,
    pub token_version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Recorded only when the person chose to give it.
    pub gender: Option<String>,
}

/// A user with typed fields; the password hash stays in [`UserRow`].
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub country: Option<Country>,
    pub institution_id: Option<i64>,
    pub category: Category,
    pub locale: Locale,
    pub token_version: i32,
    pub created_at: NaiveDateTime,
    pub gender: Option<Gender>,
}

impl TryFrom<UserRow> for User {
    type Error = AppError;

    fn try_from(row: UserRow) -> Result<Self, Self::Error> {
        let corrupt = |what: &str| AppError::internal(format!("user {} has an unknown {what}", row.id));
        Ok(User {
            role: Role::from_code(&row.role).ok_or_else(|| corrupt("role"))?,
            country: match &row.country {
                Some(code) => Some(Country::from_code(code).ok_or_else(|| corrupt("country"))?),
                None => None,
            },
            category: Category::from_code(&row.category).ok_or_else(|| corrupt("category"))?,
            gender: match &row.gender {
                Some(code) => Some(Gender::from_code(code).ok_or_else(|| corrupt("gender"))?),
                None => None,
            },
            locale: Locale::from_code(&row.locale).ok_or_else(|| corrupt("locale"))?,
            id: row.id,
            email: row.email,
            name: row.name,
            institution_id: row.institution_id,
            token_version: row.token_version,
            created_at: row.created_at,
        })
    }
}

/// The user as `/api/v1/me` returns it (a contract).
#[derive(Debug, Serialize)]
pub struct UserJson {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub country: Option<Country>,
    pub institution_id: Option<i64>,
    pub locale: Locale,
}

impl From<&User> for UserJson {
    fn from(user: &User) -> Self {
        UserJson {
            id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role,
            country: user.country,
            institution_id: user.institution_id,
            locale: user.locale,
        }
    }
}
