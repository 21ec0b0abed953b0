//! Who a user is: roles, countries, professional categories and the user record.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::users;
use crate::i18n::{self, Locale};
use crate::institutions::InstitutionId;

crate::id_type!(
    /// A user's id.
    UserId
);

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

/// The role sets that decide access: every check of "which roles may…" is one of these.
impl Role {
    /// Staff roles read every course and see teaching tools.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Trainer | Role::Coordinator | Role::Admin)
    }

    /// Coordinators and administrators manage runs, enrolment and certificates.
    pub fn manages_runs(self) -> bool {
        matches!(self, Role::Coordinator | Role::Admin)
    }

    /// Coordinators, administrators and observers read the reports.
    pub fn reads_reports(self) -> bool {
        matches!(self, Role::Coordinator | Role::Admin | Role::Observer)
    }

    pub fn is_admin(self) -> bool {
        self == Role::Admin
    }
}

impl Country {
    /// Accepts `KZ`, `kz`, `other`…: country codes arrive in either case.
    pub fn parse(code: &str) -> Option<Country> {
        Country::from_code(&code.trim().to_ascii_uppercase())
    }
}

impl Category {
    /// A category written as its code or as its name in any interface language.
    pub fn from_code_or_name(text: &str) -> Option<Category> {
        from_code_or_name(Category::ALL, Category::code, "categories", text)
    }
}

impl Gender {
    /// A gender written as its code or as its name in any interface language.
    pub fn from_code_or_name(text: &str) -> Option<Gender> {
        from_code_or_name(Gender::ALL, Gender::code, "genders", text)
    }
}

/// One of `all` written as its code or as its name (`{names}.{code}` in the locale
/// files) in any of the seven languages, in any case: coordinators' spreadsheets
/// hold whichever their staff typed.
fn from_code_or_name<T: Copy>(all: &[T], code: fn(T) -> &'static str, names: &str, text: &str) -> Option<T> {
    let wanted = text.trim().to_lowercase();
    all.iter().copied().find(|value| {
        let code = code(*value);
        code == wanted
            || Locale::ALL
                .iter()
                .any(|l| i18n::t(*l, &format!("{names}.{code}")).to_lowercase() == wanted)
    })
}

/// A user as the application sees them, read straight from the `users` table.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub country: Option<Country>,
    pub institution_id: Option<InstitutionId>,
    pub category: Category,
    pub locale: Locale,
    pub token_version: i32,
    pub created_at: NaiveDateTime,
    /// Recorded only when the person chose to give it.
    pub gender: Option<Gender>,
    /// The zone chosen in the profile; `None` reads times in the country's zone
    /// (see [`crate::accounts::time_zone::TimeZone::of_user`]).
    pub time_zone: Option<crate::accounts::time_zone::TimeZone>,
}

/// A user with their password hash, for the few places that check or change a
/// password; everywhere else the hash stays in the database. Reads as a [`User`].
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    #[diesel(embed)]
    pub user: User,
    pub password_hash: String,
}

impl std::ops::Deref for UserRow {
    type Target = User;

    fn deref(&self) -> &User {
        &self.user
    }
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        row.user
    }
}

/// What the header's navigation shows for the signed-in user: their name and which
/// sections their role opens.
#[derive(Debug, Serialize)]
pub struct Navigation {
    name: String,
    role: Role,
    is_admin: bool,
    is_staff: bool,
    is_trainer: bool,
    is_manager: bool,
    reads_reports: bool,
}

impl User {
    pub fn navigation(&self) -> Navigation {
        Navigation {
            name: self.name.clone(),
            role: self.role,
            is_admin: self.role.is_admin(),
            is_staff: self.role.is_staff(),
            is_trainer: self.role == Role::Trainer,
            is_manager: self.role.manages_runs(),
            reads_reports: self.role.reads_reports(),
        }
    }
}

/// The user as `/api/v1/me` returns it (a contract).
#[derive(Debug, Serialize)]
pub struct UserJson {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub country: Option<Country>,
    pub institution_id: Option<InstitutionId>,
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
