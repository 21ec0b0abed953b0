//! What a run and an enrolment are: their ids, the closed sets their settings and
//! states come from, and the rows as stored.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::model::{Category, Country, UserId};
use crate::db::schema::{course_runs, enrolments};
use crate::i18n::Locale;
use crate::institutions::InstitutionId;

crate::id_type!(
    /// A course run's id.
    RunId
);

crate::id_type!(
    /// An enrolment's id: one learner's place (or request, or waitlist entry) in one run.
    EnrolmentId
);

crate::text_enum!(Mode { Online => "online", Blended => "blended", InPerson => "in_person" });
crate::text_enum!(EnrolmentMode { Open => "open", Key => "key", Approval => "approval", Invitation => "invitation" });
crate::text_enum!(Phase {
    TrainingOfTrainers => "training_of_trainers",
    Thematic => "thematic",
    NationalPilot => "national_pilot",
    SecondNationalRound => "second_national_round",
    Other => "other",
});
crate::text_enum!(Status {
    Requested => "requested",
    Enrolled => "enrolled",
    Waitlisted => "waitlisted",
    Rejected => "rejected",
    Withdrawn => "withdrawn",
    Completed => "completed",
    // Asked to join by a coordinator who does not manage the account; holds no place
    // and gives no access until the person accepts.
    Invited => "invited",
    // An invitation the person turned down; an upload never renews it.
    Declined => "declined",
});

/// The states of learners admitted to a run: enrolled, or enrolled and since completed.
pub const ADMITTED: [Status; 2] = [Status::Enrolled, Status::Completed];

impl Status {
    /// Whether the enrolment holds or waits for a place. An invitation does neither
    /// until it is accepted.
    pub fn is_active(self) -> bool {
        matches!(self, Status::Requested | Status::Enrolled | Status::Waitlisted)
    }

    pub fn is_admitted(self) -> bool {
        ADMITTED.contains(&self)
    }
}

/// The professional categories a run is for, stored as their codes separated by
/// spaces; none means every category. An unknown stored code is an error, as with
/// every other stored set.
#[derive(Debug, Clone, Default, PartialEq, Eq, diesel::FromSqlRow)]
pub struct Categories(pub Vec<Category>);

impl Categories {
    /// The stored text: the codes separated by spaces.
    pub fn codes(&self) -> String {
        self.0.iter().map(|c| c.code()).collect::<Vec<_>>().join(" ")
    }

    /// Whether a learner of `category` may join.
    pub fn admit(&self, category: Category) -> bool {
        self.0.is_empty() || self.0.contains(&category)
    }
}

impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for Categories
where
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        let text = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(bytes)?;
        text.split_whitespace()
            .map(|code| {
                Category::from_code(code).ok_or_else(|| format!("stored category {code:?} is not a known code").into())
            })
            .collect::<diesel::deserialize::Result<Vec<_>>>()
            .map(Categories)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = course_runs)]
pub struct RunRow {
    pub id: RunId,
    pub course_id: String,
    pub institution_id: InstitutionId,
    pub language: Locale,
    /// `Other` for a regional run, open to learners of every country.
    pub country: Country,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub enrol_by: NaiveDate,
    pub capacity: i32,
    pub mode: Mode,
    pub enrolment: EnrolmentMode,
    pub enrolment_key: Option<String>,
    pub phase: Phase,
    pub categories: Categories,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub reminder_sent_at: Option<NaiveDateTime>,
    /// Share of in-person days a learner must attend, in per cent.
    pub min_attendance: Option<i32>,
    /// When the hourly upkeep settled the attendance of this ended run.
    pub attendance_settled_at: Option<NaiveDateTime>,
    /// Whether learners may read the course before `starts_on`; closed by default.
    pub opens_early: bool,
}

impl RunRow {
    /// Whether the run's learners may read its course on `today`: from its first day
    /// on, or earlier when its content opens before the start.
    pub fn is_open_for_study(&self, today: NaiveDate) -> bool {
        self.opens_early || self.has_started(today)
    }

    /// Whether the run's first day has come.
    pub fn has_started(&self, today: NaiveDate) -> bool {
        self.starts_on <= today
    }

    /// The run's country in the lower case of national adaptations, if it has one.
    pub fn adaptation_country(&self) -> Option<&'static str> {
        let code = self.country.code().to_ascii_lowercase();
        crate::courses::format::COUNTRIES.into_iter().find(|c| *c == code)
    }
}

/// A run as the API returns it (a contract).
#[derive(Debug, Clone, Serialize)]
pub struct RunJson {
    pub id: RunId,
    pub course_id: String,
    pub institution_id: InstitutionId,
    pub language: Locale,
    pub country: Country,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub enrol_by: NaiveDate,
    pub capacity: i32,
    pub mode: Mode,
    pub enrolment: EnrolmentMode,
    pub phase: Phase,
    pub min_attendance: Option<i32>,
    pub opens_early: bool,
    pub enrolled: i64,
}

impl RunJson {
    pub fn of(run: &RunRow, enrolled: i64) -> Self {
        RunJson {
            id: run.id,
            course_id: run.course_id.clone(),
            institution_id: run.institution_id,
            language: run.language,
            country: run.country,
            starts_on: run.starts_on,
            ends_on: run.ends_on,
            enrol_by: run.enrol_by,
            capacity: run.capacity,
            mode: run.mode,
            enrolment: run.enrolment,
            phase: run.phase,
            min_attendance: run.min_attendance,
            opens_early: run.opens_early,
            enrolled,
        }
    }
}

/// An enrolment as stored; serialised, it is the API's enrolment (a contract).
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = enrolments)]
pub struct EnrolmentRow {
    pub id: EnrolmentId,
    pub run_id: RunId,
    pub user_id: UserId,
    pub status: Status,
    #[serde(skip)]
    pub created_at: NaiveDateTime,
    #[serde(skip)]
    pub updated_at: NaiveDateTime,
}

/// An enrolment in a run with the learner's name and address, as coordinators see it.
#[derive(Debug, Clone, Queryable)]
pub struct EnrolmentOfRun {
    pub enrolment: EnrolmentRow,
    pub name: String,
    pub email: String,
}

/// A person on a run by name: a trainer of the run, or a learner admitted to it.
#[derive(Debug, Clone, Serialize, Queryable)]
pub struct Person {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
}
