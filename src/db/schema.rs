//! The one diesel schema shared by both backends. Migrations for each backend live in
//! `migrations/sqlite` and `migrations/postgres` and must produce these columns.

diesel::table! {
    institutions (id) {
        id -> BigInt,
        name -> Text,
        country -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        role -> Text,
        country -> Nullable<Text>,
        institution_id -> Nullable<BigInt>,
        category -> Text,
        locale -> Text,
        token_version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::joinable!(users -> institutions (institution_id));
diesel::allow_tables_to_appear_in_same_query!(institutions, users, settings);
