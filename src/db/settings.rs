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

pub fn set(conn: &mut DbConnection, name: &str, value: &str) -> Result<(), diesel::result::Error> {
    let updated = diesel::update(settings::table.filter(settings::name.eq(name)))
        .set(settings::value.eq(value))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(settings::table)
            .values((settings::name.eq(name), settings::value.eq(value)))
            .execute(conn)?;
    }
    Ok(())
}

pub fn remove(conn: &mut DbConnection, name: &str) -> Result<(), diesel::result::Error> {
    diesel::delete(settings::table.filter(settings::name.eq(name))).execute(conn)?;
    Ok(())
}
