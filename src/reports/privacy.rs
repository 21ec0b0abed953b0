//! What a report may show to whom. Coordinators and administrators see every figure of
//! the runs they may read. Programme observers read aggregates across every
//! institution, so no combination of the figures they see may point at fewer than
//! [`MIN_GROUP`] people:
//!
//! - no list of people: the stalled learners are neither counted, shown nor exported;
//! - every figure is counted over the same learners, those of runs with at least
//!   [`MIN_GROUP`] admitted learners: a smaller run counts in no table, so no total
//!   includes it and nothing subtracted from a total reveals it;
//! - no row (course, group of country, category and phase, country of certified
//!   trainers, phase and country delivered, group of people trained) of fewer than
//!   [`MIN_GROUP`] people; a knowledge-gain group shows only when [`MIN_GROUP`]
//!   different people took each test it reports;
//! - inside a row that shows, a count of one to four people is "—" (active,
//!   completed, certified, learners completed, women, men, gender not recorded), and so
//!   is a rate computed from such a count;
//! - a score mean taken over the attempts of one to four different people is "—" too
//!   (a run's or course's average score, pre-test and final test, and the gain between
//!   them): a mean of one person's attempts is that person's score. The figures
//!   themselves lose it, not only the table, so no chart or download can show it;
//! - complementary suppression: in each table, the rows left out together hold none or
//!   at least [`MIN_GROUP`] people, and in each column the cells shown as "—" together
//!   hold none or at least [`MIN_GROUP`] people (for a mean, the people behind it);
//!   where they would hold one to four, the next smallest rows or cells are left out
//!   as well. So a total read elsewhere, minus what a table shows, never reveals a
//!   group of one to four.
//!
//! [`visible_figures`] removes what may not show and records the "—" cells, which
//! [`VisibleFigures::hides`] answers for the tables and the charts. The page, its charts
//! and the exports are all built from what it leaves.

use std::collections::{BTreeMap, HashMap, HashSet};

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
}

fn is_large(people: i64) -> bool {
    people >= MIN_GROUP
}

/// The runs whose learners a report counts for `audience`: for observers, only runs
/// with at least [`MIN_GROUP`] admitted learners (`admitted` by run id), so that every
/// table counts the same people and no smaller run is inside any total.
pub fn runs_counted_for(audience: Audience, runs: Vec<RunRow>, admitted: &BTreeMap<i64, i64>) -> Vec<RunRow> {
    match audience {
        Audience::Everything => runs,
        Audience::Aggregates => runs
            .into_iter()
            .filter(|run| is_large(admitted.get(&run.id.get()).copied().unwrap_or(0)))
            .collect(),
    }
}

/// The cells of one table shown as "—": (row among those shown, column key).
#[derive(Debug, Clone, Default)]
pub struct HiddenCells(HashSet<(usize, &'static str)>);

impl HiddenCells {
    /// Where one of `columns` is hidden in a row, hides the others too: together they
    /// add up to a figure the row shows, which would give the hidden one away. (Only
    /// counts of none or at least [`MIN_GROUP`] are added, so every column's hidden
    /// cells still hold none or at least that many people.)
    fn link(mut self, columns: &[&'static str]) -> HiddenCells {
        let rows: Vec<usize> = self
            .0
            .iter()
            .filter(|(_, column)| columns.contains(column))
            .map(|(row, _)| *row)
            .collect();
        for row in rows {
            for column in columns {
                self.0.insert((row, column));
            }
        }
        self
    }
}

/// One table's people, as [`suppress`] weighs them: each row's size, and each column
/// that counts people with its value in every row.
struct PeopleCounts {
    sizes: Vec<i64>,
    columns: Vec<(&'static str, Vec<i64>)>,
}

fn is_small(people: i64) -> bool {
    (1..MIN_GROUP).contains(&people)
}

/// Which rows of a table an observer sees (their indices, in order) and which of
/// their cells are "—", with complementary suppression (see the module's notes).
fn suppress(counts: &PeopleCounts) -> (Vec<usize>, HiddenCells) {
    let mut left_out: Vec<bool> = counts.sizes.iter().map(|size| is_small(*size)).collect();
    let people_left_out = |left_out: &[bool]| -> i64 {
        counts
            .sizes
            .iter()
            .zip(left_out)
            .filter(|(_, out)| **out)
            .map(|(size, _)| size)
            .sum()
    };
    while is_small(people_left_out(&left_out)) {
        let smallest = counts
            .sizes
            .iter()
            .zip(&left_out)
            .enumerate()
            .filter(|(_, (size, out))| !**out && **size > 0)
            .min_by_key(|(i, (size, _))| (**size, *i))
            .map(|(i, _)| i);
        let Some(next) = smallest.and_then(|i| left_out.get_mut(i)) else {
            break;
        };
        *next = true;
    }
    let mut hidden: HashSet<(usize, &'static str)> = HashSet::new();
    for (column, values) in &counts.columns {
        let cells: Vec<(usize, i64, bool)> = values
            .iter()
            .zip(&left_out)
            .enumerate()
            .map(|(i, (value, out))| (i, *value, *out))
            .collect();
        let mut hidden_people: i64 = cells.iter().filter(|(_, _, out)| *out).map(|(_, value, _)| value).sum();
        for (i, value, _) in cells.iter().filter(|(_, value, out)| !*out && is_small(*value)) {
            hidden.insert((*i, *column));
            hidden_people += value;
        }
        while is_small(hidden_people) {
            let smallest = cells
                .iter()
                .filter(|(i, value, out)| !*out && *value > 0 && !hidden.contains(&(*i, *column)))
                .min_by_key(|(i, value, _)| (*value, *i));
            let Some((i, value, _)) = smallest else { break };
            hidden.insert((*i, *column));
            hidden_people += value;
        }
    }
    let kept: Vec<usize> = left_out
        .iter()
        .enumerate()
        .filter(|(_, out)| !**out)
        .map(|(i, _)| i)
        .collect();
    let position: HashMap<usize, usize> = kept.iter().enumerate().map(|(shown, row)| (*row, shown)).collect();
    let cells = hidden
        .into_iter()
        .filter_map(|(row, column)| Some((*position.get(&row)?, column)))
        .collect();
    (kept, HiddenCells(cells))
}

/// Keeps the rows of `items` that [`suppress`] keeps, in order, and returns the "—"
/// cells among them.
/// A column that counts people, and how to read it from a row.
type PeopleColumn<T> = (&'static str, fn(&T) -> i64);

fn suppress_rows<T>(items: &mut Vec<T>, size: fn(&T) -> i64, columns: &[PeopleColumn<T>]) -> HiddenCells {
    let counts = PeopleCounts {
        sizes: items.iter().map(size).collect(),
        columns: columns
            .iter()
            .map(|(name, pick)| (*name, items.iter().map(pick).collect()))
            .collect(),
    };
    let (kept, hidden) = suppress(&counts);
    let kept: HashSet<usize> = kept.into_iter().collect();
    let mut index = 0;
    items.retain(|_| {
        let keep = kept.contains(&index);
        index += 1;
        keep
    });
    hidden
}

/// The columns of a run's or course's score means, each weighed by the people behind
/// it (`Takers`).
const MEAN_COLUMNS: [&str; 3] = ["average_score", "pre_test", "post_test"];

/// Clears the means of the `row`-th shown row that `hidden` marks as "—", so that the
/// figures hold nothing an observer may not see.
fn withhold_means(hidden: &HiddenCells, row: usize, means: [&mut Option<f64>; 3]) {
    for (column, mean) in MEAN_COLUMNS.iter().zip(means) {
        if hidden.0.contains(&(row, *column)) {
            *mean = None;
        }
    }
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
    /// The "—" cells of each table, by the table's name.
    hidden: HashMap<&'static str, HiddenCells>,
}

impl VisibleFigures {
    /// Whether the cell of `column` in the `row`-th shown row of `table` is "—".
    pub fn hides(&self, table: &str, row: usize, column: &str) -> bool {
        self.hidden
            .get(table)
            .is_some_and(|cells| cells.0.iter().any(|(r, c)| *r == row && *c == column))
    }
}

/// The figures `audience` may see of `figures`; the totals by course and by phase and
/// country (runs delivered by `today`) are counted over the runs the report counts.
pub fn visible_figures(audience: Audience, figures: Figures, today: NaiveDate) -> VisibleFigures {
    let Figures {
        mut runs,
        mut groups,
        mut gains,
        mut trainers,
        mut trained,
        course_takers,
        stalled,
        stalled_total,
    } = figures;
    let mut delivered = super::delivered(&runs, today);
    let mut courses = super::course_figures(&runs, &course_takers);
    let mut hidden = HashMap::new();
    if audience == Audience::Aggregates {
        let outcome: [PeopleColumn<(RunRow, RunFigures)>; 6] = [
            ("active", |(_, f)| f.active),
            ("completed", |(_, f)| f.completed),
            ("certified", |(_, f)| f.certified),
            ("average_score", |(_, f)| f.takers.scored),
            ("pre_test", |(_, f)| f.takers.pre_test),
            ("post_test", |(_, f)| f.takers.post_test),
        ];
        let runs_hidden = suppress_rows(&mut runs, |(_, f)| f.enrolled, &outcome);
        for (row, (_, f)) in runs.iter_mut().enumerate() {
            withhold_means(
                &runs_hidden,
                row,
                [&mut f.average_score, &mut f.pre_test, &mut f.post_test],
            );
        }
        hidden.insert("runs", runs_hidden);
        let courses_hidden = suppress_rows(
            &mut courses,
            |c| c.enrolled,
            &[
                ("active", |c| c.active),
                ("completed", |c| c.completed),
                ("certified", |c| c.certified),
                ("average_score", |c| c.takers.scored),
                ("pre_test", |c| c.takers.pre_test),
                ("post_test", |c| c.takers.post_test),
            ],
        );
        for (row, c) in courses.iter_mut().enumerate() {
            withhold_means(
                &courses_hidden,
                row,
                [&mut c.average_score, &mut c.pre_test, &mut c.post_test],
            );
        }
        hidden.insert("courses", courses_hidden);
        hidden.insert(
            "groups",
            suppress_rows(
                &mut groups,
                |g| g.enrolled,
                &[("completed", |g| g.completed), ("certified", |g| g.certified)],
            ),
        );
        gains.retain(|g| {
            (g.pre_test.is_none() || is_large(g.pre_takers)) && (g.post_test.is_none() || is_large(g.post_takers))
        });
        hidden.insert("trainers", suppress_rows(&mut trainers, |(_, people)| *people, &[]));
        hidden.insert(
            "delivered",
            suppress_rows(
                &mut delivered,
                |d| d.enrolled,
                &[("learners_completed", |d| d.completed)],
            ),
        );
        hidden.insert(
            "trained",
            suppress_rows(
                &mut trained,
                |t| t.trained,
                &[
                    ("women", |t| t.women),
                    ("men", |t| t.men),
                    ("gender_not_recorded", |t| t.not_recorded),
                ],
            )
            .link(&["women", "men", "gender_not_recorded"]),
        );
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
        hidden,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suppressed(sizes: &[i64], column: &[i64]) -> (Vec<usize>, Vec<usize>) {
        let (kept, hidden) = suppress(&PeopleCounts {
            sizes: sizes.to_vec(),
            columns: vec![("completed", column.to_vec())],
        });
        let mut cells: Vec<usize> = hidden.0.iter().map(|(row, _)| *row).collect();
        cells.sort_unstable();
        (kept, cells)
    }

    #[test]
    fn a_lone_small_row_takes_the_next_smallest_with_it() {
        // Rows of 20, 3 and 8: the 3 alone would be the total minus the rest.
        assert_eq!(suppressed(&[20, 3, 8], &[0, 0, 0]).0, vec![0]);
        // Two small rows of 2 and 3 hold five together: nothing more goes.
        assert_eq!(suppressed(&[20, 2, 3], &[0, 0, 0]).0, vec![0]);
        assert_eq!(suppressed(&[20, 6, 8], &[0, 0, 0]).0, vec![0, 1, 2]);
    }

    #[test]
    fn a_lone_small_count_takes_the_next_smallest_count_with_it() {
        // Completions 1, 7, 9: the 1 is hidden, and so is the 7, its complement.
        assert_eq!(suppressed(&[10, 10, 10], &[1, 7, 9]).1, vec![0, 1]);
        // 2 and 3 hidden hold five together.
        assert_eq!(suppressed(&[10, 10, 10], &[2, 3, 9]).1, vec![0, 1]);
        // Nothing small: nothing hidden. Zeros point at nobody.
        assert_eq!(suppressed(&[10, 10, 10], &[0, 7, 9]).1, Vec::<usize>::new());
    }

    #[test]
    fn the_counts_of_rows_left_out_count_towards_the_hidden_people() {
        // The small row (3 people, 2 completions) is left out with the row of 6; its 2
        // completions alone would be a small complement, so a shown 5 goes too.
        let (kept, cells) = suppressed(&[3, 6, 30, 40], &[2, 0, 5, 9]);
        assert_eq!(kept, vec![2, 3]);
        assert_eq!(cells, vec![0], "the 5 of the first row shown is hidden");
    }
}
