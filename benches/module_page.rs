//! A module page for a reader, as `GET /courses/<course>/<module>` computes it before
//! the template: the shipped module the load tool reads, in Russian for a reader in
//! Kazakhstan (the national adaptation, its law references filled in), and in English
//! for a reader without a country (the five-country comparison tables).
//! `cargo bench --bench module_page` prints the time with the content cache cold
//! (every step: the version, law references, headings, links) and warm (the reader's
//! access and progress only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;

use bilim::accounts::model::{Category, Country, Role, User, UserId};
use bilim::courses::reading::{self, CountryChoice, ModuleCache};
use bilim::db::{self, DatabaseUrl};
use bilim::i18n::Locale;
use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion};

const COURSE: &str = "cybercrime-foundations";
const MODULE: &str = "what-is-cybercrime";

fn reader(locale: Locale, country: Option<Country>) -> User {
    User {
        id: UserId(1),
        email: "reader@example.kz".into(),
        name: "Reader".into(),
        role: Role::Trainer,
        country,
        institution_id: None,
        category: Category::Other,
        locale,
        token_version: 0,
        created_at: Utc::now().naive_utc(),
        gender: None,
        time_zone: None,
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("bench.db").display())).unwrap();
    let pool = db::connect(&url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    db::migrate(&mut conn).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("courses");
    bilim::courses::import_folder(&mut conn, &shipped).unwrap();
    // The reader's visits are recorded under user 1; staff read without enrolment.
    diesel::RunQueryDsl::execute(
        diesel::sql_query(
            "INSERT INTO users (id, email, name, password_hash, role, category, locale, token_version, \
             created_at, updated_at, search_text, languages) VALUES (1, 'reader@example.kz', 'Reader', '!', \
             'trainer', 'other', 'ru', 0, '2026-12-01 00:00:00', '2026-12-01 00:00:00', 'reader', '')",
        ),
        &mut *conn,
    )
    .unwrap();

    let mut group = c.benchmark_group("module page for a reader");
    for (name, user) in [
        ("ru, Kazakhstan's adaptation", reader(Locale::Ru, Some(Country::Kz))),
        ("en, five-country comparison", reader(Locale::En, None)),
    ] {
        group.bench_function(format!("{name}: cache cold"), |b| {
            b.iter(|| {
                let cache = ModuleCache::new(bilim::courses::cache::BUDGET_BYTES);
                reading::module_page(
                    &mut conn,
                    &cache,
                    COURSE,
                    MODULE,
                    &user,
                    user.locale,
                    CountryChoice::Default,
                )
                .unwrap()
                .0
            })
        });
        let cache = ModuleCache::new(bilim::courses::cache::BUDGET_BYTES);
        group.bench_function(format!("{name}: cache warm"), |b| {
            b.iter(|| {
                reading::module_page(
                    &mut conn,
                    &cache,
                    COURSE,
                    MODULE,
                    &user,
                    user.locale,
                    CountryChoice::Default,
                )
                .unwrap()
                .0
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
