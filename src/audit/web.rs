//! `/admin/audit`: administrators read the audit log, newest first, filtered by
//! action, and download it as CSV.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{Action, Event, Filter};
use crate::accounts::guard::Admin;
use crate::accounts::model::UserId;
use crate::accounts::store as user_store;
use crate::app::AppState;
use crate::error::AppResult;
use crate::i18n::{self, Locale};
use crate::web::context::RequestContext;
use crate::web::export;
use crate::web::render;

/// Events on one page of the log.
const PAGE_SIZE: i64 = 100;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/audit", web::get().to(log_page))
        .route("/admin/audit.csv", web::get().to(log_csv));
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LogQuery {
    action: String,
    actor: String,
    before: String,
}

impl LogQuery {
    /// The filter the query asks for; a value that means nothing is no filter.
    fn filter(&self) -> Filter {
        Filter {
            action: Action::from_code(self.action.trim()),
            actor: self.actor.trim().parse().ok().map(UserId),
            before: self.before.trim().parse().ok(),
        }
    }
}

#[derive(Serialize)]
struct EventView {
    id: i64,
    at: String,
    actor: String,
    actor_id: Option<UserId>,
    action: String,
    subject: String,
    details: String,
}

/// What `admin/audit.html` shows.
#[derive(Serialize)]
struct LogPage {
    events: Vec<EventView>,
    actions: Vec<(&'static str, String)>,
    filter_action: String,
    filter_actor: String,
    older_url: Option<String>,
    csv_url: String,
}

fn action_label(locale: Locale, action: Action) -> String {
    i18n::t(locale, &format!("audit.action_{}", action.code()))
}

/// The events with their actors' names (or "the system").
fn views(locale: Locale, events: Vec<Event>, names: &HashMap<UserId, String>) -> Vec<EventView> {
    events
        .into_iter()
        .map(|event| EventView {
            id: event.id,
            at: i18n::format_date_time(locale, event.at),
            actor: match event.actor_id {
                Some(id) => names.get(&id).cloned().unwrap_or_else(|| format!("#{id}")),
                None => i18n::t(locale, "audit.system"),
            },
            actor_id: event.actor_id,
            action: action_label(locale, event.action),
            subject: event.subject,
            details: event.details,
        })
        .collect()
}

/// The events and their actors' names.
async fn load(state: &AppState, filter: Filter, limit: i64) -> AppResult<(Vec<Event>, HashMap<UserId, String>)> {
    state
        .db(move |conn| {
            let events = super::events(conn, &filter, limit)?;
            let mut actors: Vec<UserId> = events.iter().filter_map(|e| e.actor_id).collect();
            actors.sort();
            actors.dedup();
            let names = user_store::names_of(conn, &actors)?;
            Ok((events, names))
        })
        .await
}

/// The query of a link to the log; action codes and ids need no escaping.
fn query_string(action: &str, actor: &str, before: Option<i64>) -> String {
    let mut parts = Vec::new();
    if !action.is_empty() {
        parts.push(format!("action={action}"));
    }
    if !actor.is_empty() {
        parts.push(format!("actor={actor}"));
    }
    if let Some(before) = before {
        parts.push(format!("before={before}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

async fn log_page(
    state: web::Data<AppState>,
    ctx: RequestContext,
    query: web::Query<LogQuery>,
    _: Admin,
) -> AppResult<HttpResponse> {
    let filter = query.filter();
    let action = filter.action.map(|a| a.code().to_owned()).unwrap_or_default();
    let actor = filter.actor.map(|a| a.get().to_string()).unwrap_or_default();
    // One more than a page tells whether an older page exists.
    let (mut events, names) = load(&state, filter, PAGE_SIZE + 1).await?;
    let has_older = events.len() > usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
    events.truncate(usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX));
    let older_url = has_older
        .then(|| {
            events
                .last()
                .map(|e| format!("/admin/audit{}", query_string(&action, &actor, Some(e.id))))
        })
        .flatten();
    let page = LogPage {
        events: views(ctx.locale, events, &names),
        actions: Action::ALL
            .iter()
            .map(|a| (a.code(), action_label(ctx.locale, *a)))
            .collect(),
        csv_url: format!("/admin/audit.csv{}", query_string(&action, &actor, None)),
        filter_action: action,
        filter_actor: actor,
        older_url,
    };
    render::view(&state, &ctx, "admin/audit.html", &page)
}

/// The whole filtered log as CSV, newest first.
async fn log_csv(
    state: web::Data<AppState>,
    ctx: RequestContext,
    query: web::Query<LogQuery>,
    _: Admin,
) -> AppResult<HttpResponse> {
    let mut filter = query.filter();
    filter.before = None;
    let (events, names) = load(&state, filter, i64::MAX).await?;
    let locale = ctx.locale;
    let headings = ["id", "at_utc", "actor_id", "actor", "action", "subject", "details"];
    let rows = events.into_iter().map(|event| {
        let actor = match event.actor_id {
            Some(id) => names.get(&id).cloned().unwrap_or_default(),
            None => i18n::t(locale, "audit.system"),
        };
        vec![
            event.id.to_string(),
            event.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            event.actor_id.map(|id| id.get().to_string()).unwrap_or_default(),
            actor,
            event.action.code().to_owned(),
            event.subject,
            event.details,
        ]
    });
    let bytes = export::csv_document(headings, rows)?;
    Ok(export::attachment(export::CSV, "audit-log.csv", bytes))
}
