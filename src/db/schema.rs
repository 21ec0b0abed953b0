//! The one diesel schema shared by both backends. Migrations for each backend live in
//! `migrations/sqlite` and `migrations/postgres` and must produce these columns.

diesel::table! {
    institutions (id) {
        id -> BigInt,
        name -> Text,
        country -> Text,
        created_at -> Timestamp,
        signatory_name -> Text,
        signatory_position -> Text,
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
        email_verified_at -> Nullable<Timestamp>,
        position -> Nullable<Text>,
        gender -> Nullable<Text>,
        search_text -> Text,
        languages -> Text,
        time_zone -> Nullable<Text>,
    }
}

diesel::table! {
    content_generation (id) {
        id -> Integer,
        generation -> BigInt,
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
        status -> Text,
        effective -> Nullable<Date>,
        amended_at -> Nullable<Timestamp>,
        amendment_note -> Text,
        verified_by -> Nullable<BigInt>,
        verified_at -> Nullable<Timestamp>,
        file_hash -> Text,
        updated_by -> Nullable<BigInt>,
        updated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    section_revisions (id) {
        id -> BigInt,
        course_id -> Text,
        module_id -> Text,
        language -> Text,
        country -> Text,
        section_id -> Text,
        revision -> Integer,
        markdown -> Text,
        removes -> Bool,
        state -> Text,
        origin -> Text,
        based_on -> Text,
        based_on_markdown -> Text,
        author_id -> Nullable<BigInt>,
        comment -> Text,
        created_at -> Timestamp,
        reviewed_by -> Nullable<BigInt>,
        reviewed_at -> Nullable<Timestamp>,
        review_comment -> Text,
    }
}

diesel::table! {
    module_sources (course_id, module_id, language, country) {
        course_id -> Text,
        module_id -> Text,
        language -> Text,
        country -> Text,
        folder -> Text,
        translated_from -> Text,
        front_matter -> Text,
        intro -> Text,
        section_order -> Text,
    }
}

diesel::table! {
    law_revisions (id) {
        id -> BigInt,
        country -> Text,
        concept -> Text,
        revision -> Integer,
        entry -> Text,
        state -> Text,
        origin -> Text,
        author_id -> Nullable<BigInt>,
        comment -> Text,
        created_at -> Timestamp,
        reviewed_by -> Nullable<BigInt>,
        reviewed_at -> Nullable<Timestamp>,
        review_comment -> Text,
    }
}

diesel::table! {
    glossary_terms (language, term) {
        language -> Text,
        term -> Text,
        source_en -> Text,
        source_ru -> Text,
        translation -> Text,
        note -> Text,
        updated_by -> Nullable<BigInt>,
        updated_at -> Timestamp,
        deleted -> Bool,
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
        run_id -> Nullable<BigInt>,
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

diesel::table! {
    course_runs (id) {
        id -> BigInt,
        course_id -> Text,
        institution_id -> BigInt,
        language -> Text,
        country -> Text,
        starts_on -> Date,
        ends_on -> Date,
        enrol_by -> Date,
        capacity -> Integer,
        mode -> Text,
        enrolment -> Text,
        enrolment_key -> Nullable<Text>,
        phase -> Text,
        categories -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        reminder_sent_at -> Nullable<Timestamp>,
        min_attendance -> Nullable<Integer>,
        attendance_settled_at -> Nullable<Timestamp>,
        opens_early -> Bool,
    }
}

diesel::table! {
    run_sessions (id) {
        id -> BigInt,
        run_id -> BigInt,
        held_on -> Date,
        topic -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    attendance (session_id, user_id) {
        session_id -> BigInt,
        user_id -> BigInt,
        present -> Bool,
        recorded_by -> BigInt,
        recorded_at -> Timestamp,
    }
}

diesel::joinable!(attendance -> run_sessions (session_id));
diesel::joinable!(run_sessions -> course_runs (run_id));

diesel::table! {
    run_trainers (run_id, user_id) {
        run_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    enrolments (id) {
        id -> BigInt,
        run_id -> BigInt,
        user_id -> BigInt,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_activity_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    enrolment_events (id) {
        id -> BigInt,
        enrolment_id -> BigInt,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor_id -> Nullable<BigInt>,
        reason -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    bulk_checks (id) {
        id -> Text,
        run_id -> BigInt,
        uploader_id -> BigInt,
        content -> Text,
        row_count -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    user_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        recipient -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        message_id -> Text,
        dedupe_key -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        locked_by -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(enrolments -> course_runs (run_id));
diesel::joinable!(enrolments -> users (user_id));
diesel::joinable!(course_runs -> institutions (institution_id));

diesel::table! {
    course_completions (user_id, course_id) {
        user_id -> BigInt,
        course_id -> Text,
        run_id -> Nullable<BigInt>,
        completed_at -> Timestamp,
    }
}

diesel::table! {
    certificates (code) {
        code -> Text,
        user_id -> BigInt,
        course_id -> Text,
        run_id -> Nullable<BigInt>,
        holder_name -> Text,
        course_titles -> Text,
        institution -> Text,
        country -> Text,
        hours -> Double,
        issued_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
        revoked_by -> Nullable<BigInt>,
        notified_at -> Nullable<Timestamp>,
        signatory_name -> Text,
        signatory_position -> Text,
        period_starts -> Nullable<Date>,
        period_ends -> Nullable<Date>,
    }
}

diesel::table! {
    rate_limit_windows (bucket, client, window_start) {
        bucket -> Text,
        client -> Text,
        window_start -> Timestamp,
        hits -> Integer,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        subject -> Text,
        details -> Text,
    }
}

diesel::table! {
    two_factor (user_id) {
        user_id -> BigInt,
        secret -> Text,
        confirmed_at -> Nullable<Timestamp>,
        last_step -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    audit_events,
    two_factor,
    recovery_codes,
    institutions,
    users,
    settings,
    courses,
    course_revisions,
    course_modules,
    module_versions,
    module_files,
    law_entries,
    section_revisions,
    module_sources,
    law_revisions,
    glossary_terms,
    module_progress,
    quizzes,
    quiz_versions,
    quiz_attempts,
    attempt_responses,
    course_runs,
    run_trainers,
    run_sessions,
    attendance,
    enrolments,
    enrolment_events,
    user_tokens,
    bulk_checks,
    outbox,
    course_completions,
    certificates,
);

// Reports group by columns of joined tables.
diesel::allow_columns_to_appear_in_same_group_by_clause!(
    enrolments::run_id,
    enrolments::user_id,
    enrolments::status,
    certificates::run_id,
    quiz_attempts::run_id,
    quiz_attempts::quiz_id,
    quiz_attempts::course_id,
    course_runs::country,
    course_runs::phase,
    users::category,
    users::gender,
    users::name,
    users::email,
);
