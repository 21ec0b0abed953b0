//! Locale files and migrations are read by macros at compile time (rust-i18n,
//! diesel_migrations); tell cargo to rebuild when they change.
//!
//! The tests' PostgreSQL halves are compiled as ignored unless `LMS_TEST_POSTGRES_URL`
//! is set: the `postgres_tests` cfg says it is.
fn main() {
    println!("cargo:rerun-if-changed=locales");
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo:rerun-if-env-changed=LMS_TEST_POSTGRES_URL");
    if std::env::var("LMS_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo:rustc-cfg=postgres_tests");
    }
}
