//! What a report may show to whom. Coordinators and administrators see every figure of
//! the runs they may read. Programme observers read aggregates across every
//! institution, so nothing they see may point at a person:
//!
//! - no list of people: the stalled learners are neither counted, shown nor exported;
//! - no run, course, group (country, category and phase), country of certified trainers
//!   or group of people trained with fewer than [`MIN_GROUP`] people;
//! - a knowledge-gain group shows only when [`MIN_GROUP`] different people took each
//!   test it reports, the pre-test and the final test;
//! - inside a row large enough to show, a count of one to four people is "—": the
//!   completions of courses delivered in a phase and country with fewer than
//!   [`MIN_GROUP`] learners, and the women, men, gender not recorded and share of women
//!   of a group of people trained when any of those three counts is one to four;
//! - totals by course and by phase and country are counted over every run before small
//!   runs are hidden, so hiding a run changes no total.
//!
//! [`visible_figures`] removes what may not show; [`Audience::sees_completions_of`] and
//! [`Audience::sees_gender_of`] decide the "—" cells. The page, its charts and the
//! exports are all built from what these leave.

use chrono::NaiveDate;

use super::{
    CourseFigures, DeliveredFigures, Figures, GainFigures, GroupFigures, RunFigures, StalledLearner, TrainedFigures,
};
use crate::accounts::model::{Role, User};
use crate::enrolment::RunRow;

/// Observers see no group smaller than this, so that no figure points at a person.
pub const MIN_GROUP: i64 = 5;

/// Who reads a report, as far as what it may show is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Coordinators and administrators: every figure, and the people behind them.
    Everything,
    /// Programme observers: aggregates of groups of at least [`MIN_GROUP`] people.
    Aggregates,
}

impl Audience {
    pub fn of(user: &User) -> Audience {
        if user.role == Role::Observer {
            Audience::Aggregates
        } else {
            Audience::Everything
        }
    }

    /// Whether lists that name people, such as the stalled learners, may show.
    pub fn sees_people(self) -> bool {
        self == Audience::Everything
    }

    /// Whether the completions of courses delivered in a phase and country may show.
    pub fn sees_completions_of(self, delivered: &DeliveredFigures) -> bool {
        self == Audience::Everything || is_large(delivered.enrolled)
    }

    /// Whether the counts by gender of a group of people trained may show: a count of
    /// one to four would tell about those people.
    pub fn sees_gender_of(self, trained: &TrainedFigures) -> bool {
        let by_gender = [trained.women, trained.men, trained.not_recorded];
        let small = |people: i64| (1..MIN_GROUP).contains(&people);
        self == Audience::Everything || !by_gender.into_iter().any(small)
    }
}

fn is_large(people: i64) -> bool {
    people >= MIN_GROUP
}

/// The figures of a report that one audience may see.
pub struct VisibleFigures {
    pub audience: Audience,
    pub runs: Vec<(RunRow, RunFigures)>,
    pub courses: Vec<CourseFigures>,
    pub groups: Vec<GroupFigures>,
    pub gains: Vec<GainFigures>,
    pub trainers: Vec<(String, i64)>,
    pub delivered: Vec<DeliveredFigures>,
    pub trained: Vec<TrainedFigures>,
    pub stalled: Vec<StalledLearner>,
    pub stalled_total: i64,
}

/// The figures `audience` may see of `figures`, with the totals by course and by phase
/// and country (runs delivered by `today`) counted before anything is removed.
pub fn visible_figures(audience: Audience, figures: Figures, today: NaiveDate) -> VisibleFigures {
    let Figures {
        mut runs,
        mut groups,
        mut gains,
        mut trainers,
        mut trained,
        stalled,
        stalled_total,
    } = figures;
    let delivered = super::delivered(&runs, today);
    let mut courses = super::course_figures(&runs);
    if audience == Audience::Aggregates {
        runs.retain(|(_, f)| is_large(f.enrolled));
        courses.retain(|c| is_large(c.enrolled));
        groups.retain(|g| is_large(g.enrolled));
        gains.retain(|g| {
            (g.pre_test.is_none() || is_large(g.pre_takers)) && (g.post_test.is_none() || is_large(g.post_takers))
        });
        trainers.retain(|(_, people)| is_large(*people));
        trained.retain(|t| is_large(t.trained));
    }
    VisibleFigures {
        audience,
        runs,
        courses,
        groups,
        gains,
        trainers,
        delivered,
        trained,
        stalled,
        stalled_total,
    }
}
