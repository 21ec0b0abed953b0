//! Locale files and migrations are read by macros at compile time (rust-i18n,
//! diesel_migrations); tell cargo to rebuild when they change.
fn main() {
    println!("cargo:rerun-if-changed=locales");
    println!("cargo:rerun-if-changed=migrations");
}
