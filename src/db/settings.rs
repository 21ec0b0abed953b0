//! Installation-wide values kept in the `settings` table.

use diesel::prelude::*;

use crate::db::schema::settings;
use crate::db::DbConnection;

pub fn get(conn: &mut DbConnection, name: &str) -> Result<Option<String>, diesel::result::Error> {
    settings::table
        .filter(settings::name.eq(name))
        .select(settings::value)
        .first(conn)
        .optional()
}

/// Sets `name` to `value` in one statement (an upsert), so that instances setting
/// the same new name at once both succeed: with an update and then an insert, the
/// second instance's insert would fail on the first one's row on PostgreSQL.
pub fn set(conn: &mut DbConnection, name: &str, value: &str) -> Result<(), diesel::result::Error> {
    let upsert = diesel::insert_into(settings::table)
        .values((settings::name.eq(name), settings::value.eq(value)))
        .on_conflict(settings::name)
        .do_update()
        .set(settings::value.eq(value));
    // diesel builds an upsert for each backend, not for the two-backend connection.
    match conn {
        DbConnection::Sqlite(sqlite) => upsert.execute(sqlite)?,
        DbConnection::Postgresql(pg) => upsert.execute(pg)?,
    };
    Ok(())
}

/// Stores `value` under `name` unless the name is taken; says whether it stored it.
/// Of several instances offering a value at once, exactly one stores its own and
/// none fails.
pub fn set_if_absent(conn: &mut DbConnection, name: &str, value: &str) -> Result<bool, diesel::result::Error> {
    let insert = diesel::insert_into(settings::table)
        .values((settings::name.eq(name), settings::value.eq(value)))
        .on_conflict_do_nothing();
    let inserted = match conn {
        DbConnection::Sqlite(sqlite) => insert.execute(sqlite)?,
        DbConnection::Postgresql(pg) => insert.execute(pg)?,
    };
    Ok(inserted == 1)
}

pub fn remove(conn: &mut DbConnection, name: &str) -> Result<(), diesel::result::Error> {
    diesel::delete(settings::table.filter(settings::name.eq(name))).execute(conn)?;
    Ok(())
}
