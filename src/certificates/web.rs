//! Certificate pages: the learner's certificates and completion status, the PDF,
//! the public verification page, revocation, and the published signing key.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::pdf::{self, CertificateText};
use super::Validity;
use crate::accounts::guard::{Manager, SignedIn};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Locale};
use crate::web::context::RequestContext;
use crate::web::forms::CsrfForm;
use crate::web::render;
use crate::web::see_other;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/certificates", web::get().to(mine))
        .route("/certificates/{file}", web::get().to(download))
        .route("/certificates/{code}/revoke", web::post().to(revoke))
        .route("/verify/{code}", web::get().to(verify))
        .route("/.well-known/jwks.json", web::get().to(jwks));
}

#[derive(Serialize)]
struct CertificateView {
    code: String,
    course: String,
    issued: String,
    status: String,
}

#[derive(Serialize)]
struct CourseStatus {
    course_id: String,
    course: String,
    complete: bool,
    /// What the learner still has to do.
    missing: Vec<super::completion::Missing>,
    /// Tests whose answers wait for a trainer: done on the learner's side, so not
    /// "still to do".
    awaiting_grading: Vec<String>,
    /// Why a completed course has no valid certificate yet, if it is waiting.
    note: Option<String>,
}

/// What `certificates/mine.html` shows.
#[derive(Serialize)]
struct MinePage {
    certificates: Vec<CertificateView>,
    statuses: Vec<CourseStatus>,
}

/// What `certificates/verify.html` shows: whether the code is known and, if it is,
/// the certificate's public facts.
#[derive(Serialize)]
struct VerifyPage {
    found: bool,
    #[serde(flatten)]
    certificate: Option<VerifiedCertificate>,
}

#[derive(Serialize)]
struct VerifiedCertificate {
    validity: Validity,
    status: String,
    holder: String,
    course: String,
    issued: String,
    issuer: String,
    code: String,
    expires: Option<String>,
    reason: Option<String>,
}

fn validity_label(locale: Locale, validity: Validity) -> String {
    let key = match validity {
        Validity::Valid => "certificates.valid",
        Validity::Revoked => "certificates.revoked",
        Validity::Expired => "certificates.expired",
    };
    i18n::t(locale, key)
}

/// The learner's certificates, and for each course they study what is still missing.
async fn mine(state: web::Data<AppState>, ctx: RequestContext, SignedIn(user): SignedIn) -> AppResult<HttpResponse> {
    let locale = ctx.locale;
    let (certificates, statuses) = state
        .db(move |conn| {
            let now = super::now();
            let mut statuses = Vec::new();
            for course_id in crate::courses::store::courses_started_by(conn, user.id)? {
                let Some(course) = crate::courses::store::find_active_course(conn, &course_id)? else {
                    continue;
                };
                let completion = super::completion::evaluate(conn, user.id, &course_id, locale)?;
                let mut note = None;
                if completion.complete && !super::holds_valid(conn, user.id, &course_id, now)? {
                    // The first visit after a run's start issues the certificate that
                    // waited for it.
                    super::refresh(conn, user.id, &course_id, now)?;
                    note = super::waiting_reason(conn, user.id, &course_id, now, locale)?;
                }
                let (awaiting, missing): (Vec<_>, Vec<_>) = completion
                    .missing
                    .into_iter()
                    .partition(|m| m.kind == "awaiting_grading");
                statuses.push(CourseStatus {
                    course: i18n::pick_text(&course.titles(), locale).unwrap_or_else(|| course_id.clone()),
                    course_id,
                    complete: completion.complete,
                    missing,
                    awaiting_grading: awaiting.into_iter().map(|m| m.title).collect(),
                    note,
                });
            }
            let certificates: Vec<CertificateView> = super::of_user(conn, user.id)?
                .iter()
                .map(|c| CertificateView {
                    code: c.code.clone(),
                    course: c.course_title(locale),
                    issued: c.zone().date(locale, c.issued_at),
                    status: validity_label(locale, c.validity(now)),
                })
                .collect();
            Ok((certificates, statuses))
        })
        .await?;
    let page = MinePage { certificates, statuses };
    render::view(&state, &ctx, "certificates/mine.html", &page)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LangQuery {
    lang: Option<String>,
}

/// `/certificates/<code>.pdf`: for the holder, their coordinator and administrators.
async fn download(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
    SignedIn(user): SignedIn,
) -> AppResult<HttpResponse> {
    let file = path.into_inner();
    let code = file.strip_suffix(".pdf").ok_or(AppError::NotFound)?.to_owned();
    let (certificate, period) = state
        .db(move |conn| {
            let certificate = super::find(conn, &code)?.ok_or(AppError::NotFound)?;
            if certificate.user_id != user.id && !super::may_manage(conn, &user, &certificate)? {
                return Err(AppError::NotFound);
            }
            // The period as it was at issue; a certificate older than that record
            // prints its run's dates as the run has them now.
            let period = match (certificate.period_starts, certificate.period_ends, certificate.run_id) {
                (Some(starts), Some(ends), _) => Some((starts, ends)),
                (_, _, Some(run)) => crate::enrolment::find_run(conn, run)?.map(|run| (run.starts_on, run.ends_on)),
                _ => None,
            };
            Ok((certificate, period))
        })
        .await?;
    let locale = query.lang.as_deref().and_then(Locale::from_code).unwrap_or(ctx.locale);
    let period = period.map(|(starts, ends)| period_of(locale, starts, ends));
    let logo_file = state.config.logo_file.clone();
    let mut text = CertificateText {
        site_name: state.config.site_name.clone(),
        verify_url: format!("{}/verify/{}", state.config.public_url, certificate.code),
        date: certificate.zone().date(locale, certificate.issued_at),
        expires: certificate.expires_at.map(|e| certificate.zone().date(locale, e)),
        period,
        logo: None,
    };
    let filename = format!("certificate-{}.pdf", certificate.code);
    let bytes = web::block(move || {
        text.logo = logo_file.as_deref().and_then(pdf::Logo::read);
        pdf::render(&certificate, locale, &text)
    })
    .await??;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((header::CONTENT_DISPOSITION, format!("inline; filename=\"{filename}\"")))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// A run's first and last day as the certificate prints them; one day for a one-day run.
fn period_of(locale: Locale, starts_on: chrono::NaiveDate, ends_on: chrono::NaiveDate) -> String {
    let starts = i18n::format_date(locale, starts_on);
    if ends_on == starts_on {
        starts
    } else {
        format!("{starts} – {}", i18n::format_date(locale, ends_on))
    }
}

/// The public check of a certificate; an unknown code reveals nothing else.
async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    state.check_rate(crate::web::rate_limit::Limit::Verify, &req).await?;
    let code = path.into_inner();
    let locale = ctx.locale;
    let certificate = state.db(move |conn| super::find(conn, &code)).await?;
    let certificate = certificate.map(|certificate| {
        let validity = certificate.validity(super::now());
        let issuer = certificate.issuer(&state.config.site_name);
        VerifiedCertificate {
            validity,
            status: validity_label(locale, validity),
            course: certificate.course_title(locale),
            issued: certificate.zone().date(locale, certificate.issued_at),
            expires: certificate.expires_at.map(|e| certificate.zone().date(locale, e)),
            holder: certificate.holder_name,
            issuer,
            code: certificate.code,
            reason: certificate.revoked_reason,
        }
    });
    let found = certificate.is_some();
    let mut response = render::view(
        &state,
        &ctx,
        "certificates/verify.html",
        &VerifyPage { found, certificate },
    )?;
    if !found {
        *response.status_mut() = StatusCode::NOT_FOUND;
    }
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RevokeForm {
    reason: String,
}

async fn revoke(
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<RevokeForm>,
    Manager(user): Manager,
) -> AppResult<HttpResponse> {
    let code = path.into_inner();
    let done = state
        .db(move |conn| super::revoke(conn, &user, &code, &form.reason, super::now()))
        .await?;
    Ok(see_other(format!("/verify/{}", done.code)))
}

async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .json(state.signing.jwks())
}
