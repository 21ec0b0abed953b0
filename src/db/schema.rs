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

diesel::table! {
    courses (id) {
        id -> Text,
        version -> Text,
        hours -> Double,
        audience -> Text,
        titles -> Text,
        summaries -> Text,
        prerequisites -> Text,
        settings -> Text,
        source_hash -> Text,
        revision -> Integer,
        active -> Bool,
        imported_at -> Timestamp,
    }
}

diesel::table! {
    course_revisions (course_id, revision) {
        course_id -> Text,
        revision -> Integer,
        source_hash -> Text,
        imported_at -> Timestamp,
    }
}

diesel::table! {
    course_modules (course_id, id) {
        course_id -> Text,
        id -> Text,
        position -> Integer,
        minutes -> Integer,
        active -> Bool,
    }
}

diesel::table! {
    module_versions (course_id, module_id, language, country) {
        course_id -> Text,
        module_id -> Text,
        language -> Text,
        country -> Text,
        title -> Text,
        outcomes -> Text,
        html -> Text,
        law_concepts -> Text,
        outdated_sections -> Text,
        content_hash -> Text,
        revision -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    module_files (course_id, module_id, name) {
        course_id -> Text,
        module_id -> Text,
        name -> Text,
        content_type -> Text,
        bytes -> Binary,
        content_hash -> Text,
    }
}

diesel::table! {
    law_entries (country, concept) {
        country -> Text,
        concept -> Text,
        article -> Text,
        codes -> Text,
        titles -> Text,
        notes -> Text,
        source -> Text,
        verified -> Bool,
    }
}

diesel::table! {
    module_progress (user_id, course_id, module_id) {
        user_id -> BigInt,
        course_id -> Text,
        module_id -> Text,
        started_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    institutions,
    users,
    settings,
    courses,
    course_revisions,
    course_modules,
    module_versions,
    module_files,
    law_entries,
    module_progress,
);
