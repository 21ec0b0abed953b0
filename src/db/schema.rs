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

diesel::table! {
    quizzes (course_id, id) {
        course_id -> Text,
        id -> Text,
        settings -> Text,
        titles -> Text,
        content_hash -> Text,
        active -> Bool,
    }
}

diesel::table! {
    quiz_versions (course_id, quiz_id, language) {
        course_id -> Text,
        quiz_id -> Text,
        language -> Text,
        questions -> Text,
    }
}

diesel::table! {
    quiz_attempts (id) {
        id -> BigInt,
        user_id -> BigInt,
        course_id -> Text,
        quiz_id -> Text,
        language -> Text,
        is_preview -> Bool,
        questions -> Text,
        settings -> Text,
        started_at -> Timestamp,
        deadline -> Nullable<Timestamp>,
        submitted_at -> Nullable<Timestamp>,
        score -> Nullable<Double>,
        max_score -> Nullable<Double>,
        percent -> Nullable<Double>,
        passed -> Nullable<Bool>,
        pending_manual -> Bool,
    }
}

diesel::table! {
    attempt_responses (attempt_id, question_id) {
        attempt_id -> BigInt,
        question_id -> Text,
        response -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        score -> Nullable<Double>,
        max_score -> Nullable<Double>,
        pending_manual -> Bool,
        grader_id -> Nullable<BigInt>,
        comment -> Nullable<Text>,
        graded_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(attempt_responses -> quiz_attempts (attempt_id));

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
    quizzes,
    quiz_versions,
    quiz_attempts,
    attempt_responses,
);
