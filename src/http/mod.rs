//! The local HTTP API (axum): router, bearer auth, the single error-to-response mapping, and the
//! handlers per resource.
//!
//! | route | auth | what |
//! |---|---|---|
//! | `POST /api/v1/messages` | yes | queue a message; `202` after the store committed it |
//! | `GET /api/v1/messages/{id}` | yes | one message (`msg_...` outbound, `in_...` inbound) |
//! | `GET /api/v1/messages` | yes | `direction=out\|in`, `state`, `to`, `from`, `since`, `limit`, `cursor` |
//! | `DELETE /api/v1/messages/{id}` | yes | cancel what is still queued; `409` otherwise |
//! | `GET /api/v1/rules` | yes | every rule in evaluation order (config file's, then API-managed) |
//! | `PUT /api/v1/rules` | yes | replace the API-managed rules; `422` naming a bad rule and field |
//! | `POST /api/v1/rules/test` | yes | which rule a message would fire and what it would be sent |
//! | `POST /api/v1/bulk` | yes | a text or template to a group and/or list, rendered per recipient, optionally scheduled and paced ([`bulk`]) |
//! | `GET /api/v1/bulk/{id}` | yes | a campaign, its skipped recipients and its recipients by state |
//! | `GET /api/v1/modems` | yes | modem states, signal, counters |
//! | `GET /api/v1/contacts` | yes | `group`, `q` (name or number prefix), `limit`, `cursor`; in number order |
//! | `GET /api/v1/contacts/{number}` | yes | one contact (number URL-encoded: `%2B81...`) |
//! | `PUT /api/v1/contacts/{number}` | yes | create (`201`) or replace (`200`) name, fields, groups |
//! | `DELETE /api/v1/contacts/{number}` | yes | `204`, or `404` |
//! | `POST /api/v1/contacts/import` | yes | `text/csv` up to 8 MiB / 50,000 rows; `mode=all_or_nothing\|skip_invalid`; errors per line |
//! | `GET /api/v1/contacts/export` | yes | `text/csv` (`group`, `bom`); reads back through the import |
//! | `GET /api/v1/groups` | yes | every group with its member count |
//! | `GET /api/v1/consent` | yes | numbers by consent (`opted_out=true` default), paged |
//! | `GET /api/v1/consent/{number}` | yes | opted out or not, and every change with its time and source |
//! | `PUT /api/v1/consent/{number}` | yes | `{"opted_out"}`, recorded with source `api:<token name>` |
//! | `GET /api/v1/templates` | yes | every template (stored, and the config file's not overridden), with its part count and encoding |
//! | `POST /api/v1/templates/{name}/preview` | yes | the template rendered for one number: text, parts, encoding |
//! | `GET/PUT/DELETE /api/v1/templates/{name}` | yes | one template (`name`: 1-64 of `A-Za-z0-9_-`) |
//! | `GET /api/v1/openapi.json` | yes | the OpenAPI document ([`ApiDoc`]) |
//! | `GET /metrics` | yes | Prometheus / OpenMetrics text ([`crate::metrics`]) |
//! | `GET /health` | no | `200` when the store takes writes and a modem is ready, else `503` |
//! | `GET /api/v1/conversations` | yes | `state`, `assignee`, `tag`, `unread`, `q` (number prefix), `updated_since`, `order`, `limit`, `cursor` |
//! | `GET /api/v1/conversations/{id}` | yes | one conversation and its newest `limit` messages both ways |
//! | `PATCH /api/v1/conversations/{id}` | yes | `state`, `assignee`, `notes`, `add_tags`, `remove_tags` |
//! | `POST /api/v1/conversations/{id}/reply` | yes | a staff reply at support priority; `202`; `422 opted_out` |
//! | `POST /api/v1/conversations/{id}/read` | yes | unread count to 0 (a `GET` never writes) |
//! | `GET /api/v1/reports/daily` | yes | `from`, `to` (`YYYY-MM-DD`, at most 366 days), `tz` |
//! | `GET /api/v1/audit` | yes | the audit log, newest first, `limit` |
//!
//! - **Auth** ([`auth`]): `Authorization: Bearer <token>`, compared in constant time. With no
//!   tokens configured (the config allows that only on loopback) requests pass as `local`.
//!   Every POST, PUT, PATCH and DELETE is written to the audit log with the caller's name; a successful one
//!   in the same transaction as its effect.
//! - **Errors** ([`error::ApiError`]): `{"error": {"code", "message"}}`, one `IntoResponse`,
//!   the store's errors mapped there once; bad input (including axum's own rejections, through
//!   the extractors in [`extract`]) is always a 4xx. Bodies over `http.max_body_bytes` are 413.
//! - **Acknowledge after commit**: `POST` answers only after the store's COMMIT, then wakes the
//!   dispatcher through [`AppState::dispatch`].
//!
//! [`router`] builds the whole app from an [`AppState`], so tests call it with
//! `tower::ServiceExt::oneshot` and no socket; [`serve`] runs it on a listener until the
//! cancellation token fires, then drains in-flight requests.

pub mod audit;
pub mod auth;
pub mod bulk;
pub mod conversations;
pub mod error;
pub mod extract;
pub mod messages;
pub mod prompts;
pub mod reports;
pub mod rules;
pub mod system;
#[cfg(feature = "tls")]
pub mod tls;
pub mod types;

// contacts, consent and templates (the contacts API)
pub mod consent;
pub mod contact_input;
pub mod contacts;
pub mod contacts_csv;
pub mod templates;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

pub use error::ApiError;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::modem::{ModemHandle, ModemStatus};
use crate::store::Store;

/// Where the API finds the modems' current status.
pub trait ModemDirectory: Send + Sync {
    /// Every modem's status, in a stable order.
    fn list(&self) -> Vec<ModemStatus>;
}

impl ModemDirectory for Vec<ModemHandle> {
    fn list(&self) -> Vec<ModemStatus> {
        self.iter().map(ModemHandle::status).collect()
    }
}

/// Fixed statuses (tests, and a gateway that has no modem yet).
impl ModemDirectory for Vec<ModemStatus> {
    fn list(&self) -> Vec<ModemStatus> {
        self.clone()
    }
}

/// What every handler gets: cheap handles, cloned per request.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub modems: Arc<dyn ModemDirectory>,
    /// Woken after every accepted message so the dispatcher looks at once.
    pub dispatch: Arc<Notify>,
    /// Woken after a campaign is committed so the dispatcher's releaser puts it into the send
    /// queue at once.
    pub release: Arc<Notify>,
    pub metrics: Arc<Metrics>,
    /// The rules in force (config file's and API-managed) and the `[support]` policy.
    pub rules: Arc<crate::rules::Live>,
    /// The desk's login throttle and presence.
    pub desk: Arc<crate::desk::Desk>,
}

impl AppState {
    /// The default region of phone numbers (`[support] country`): every number the API is given
    /// is normalised with it ([`crate::phone`]).
    pub fn region(&self) -> Option<crate::phone::Region> {
        self.config.support.region()
    }
}

/// The OpenAPI document of every route.
#[derive(OpenApi)]
#[openapi(
    info(title = "smsgate", description = "Local HTTP API of the smsgate SMS appliance"),
    paths(
        messages::create,
        messages::get_one,
        messages::cancel,
        messages::list,
        rules::list,
        rules::replace,
        rules::test,
        system::modems,
        system::health,
        system::metrics,
        system::openapi,
        // contacts, consent and templates (the contacts API)
        contacts::list,
        contacts::get_one,
        contacts::put,
        contacts::delete,
        contacts::import,
        contacts::export,
        contacts::groups,
        consent::get_one,
        consent::put,
        consent::list,
        templates::list,
        templates::get_one,
        templates::put,
        templates::delete,
        templates::render,
        bulk::create,
        bulk::get_one,
        // Conversations, reports and audit.
        conversations::list,
        conversations::get_one,
        conversations::update,
        conversations::reply,
        conversations::read,
        reports::daily,
        audit::list,
    ),
    components(schemas(
        types::SendRequest,
        types::Recipients,
        types::MessageView,
        types::RecipientView,
        types::PartView,
        types::InboundView,
        types::ListItem,
        types::ListResponse,
        types::ModemView,
        types::HealthView,
        rules::RuleView,
        rules::RulesView,
        rules::ReplaceRules,
        rules::TestRequest,
        rules::TestResponse,
        rules::ReplyView,
        rules::GuardView,
        crate::rules::RuleSpec,
        crate::rules::Action,
        crate::rules::Window,
        crate::rules::SenderKind,
        bulk::BulkRequest,
        bulk::CampaignView,
        error::ErrorBody,
        error::ErrorDetail,
        // contacts, consent and templates (the contacts API)
        contacts::ContactView,
        contacts::ContactBody,
        contacts::ContactList,
        contacts::GroupView,
        contacts::GroupList,
        contacts::ImportReport,
        contacts::ImportErrorBody,
        contacts_csv::LineError,
        consent::ConsentView,
        consent::ConsentChangeView,
        consent::ConsentBody,
        consent::ConsentItem,
        consent::ConsentList,
        templates::TemplateView,
        templates::TemplateBody,
        templates::TemplateList,
        templates::PreviewView,
        templates::PreviewRequest,
        templates::RenderedView,
        // Conversations, reports and audit.
        conversations::ConversationView,
        conversations::ConversationDetail,
        conversations::ConversationList,
        conversations::ThreadMessageView,
        conversations::ReplyRequest,
        conversations::UpdateRequest,
        reports::DailyReport,
        reports::DayView,
        reports::OutboundView,
        reports::DurationView,
        audit::AuditList,
        audit::AuditView,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "messages", description = "Send, look up, list and cancel messages"),
        (name = "rules", description = "Auto-reply and routing rules"),
        (name = "modems", description = "Modem status"),
        (name = "bulk", description = "Bulk and scheduled sends to groups and lists"),
        (name = "system", description = "Health, metrics, this document"),
        (name = "contacts", description = "Contacts, groups, CSV import and export"),
        (name = "consent", description = "Opt-out and its history"),
        (name = "templates", description = "Message templates"),
        (name = "conversations", description = "Support threads: list, read, reply, assign, close"),
        (name = "reports", description = "Daily support-line figures"),
        (name = "audit", description = "Which token sent, changed or deleted what"),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme the paths refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such route".to_owned())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// The whole API.
pub fn router(state: AppState) -> Router {
    let limit = state.config.http.max_body_bytes;
    let authed = Router::new()
        .route(
            "/api/v1/messages",
            get(messages::list).post(messages::create),
        )
        .route(
            "/api/v1/messages/{id}",
            get(messages::get_one).delete(messages::cancel),
        )
        .route("/api/v1/rules", get(rules::list).put(rules::replace))
        .route("/api/v1/rules/test", post(rules::test))
        .route(
            "/api/v1/bulk",
            post(bulk::create).layer(DefaultBodyLimit::max(bulk::MAX_BULK_BODY)),
        )
        .route("/api/v1/bulk/{id}", get(bulk::get_one))
        .route("/api/v1/modems", get(system::modems))
        .route("/api/v1/openapi.json", get(system::openapi))
        .route("/metrics", get(system::metrics))
        // contacts, consent and templates (the contacts API)
        .merge(contacts_routes())
        // Conversations, reports and audit.
        .merge(conversations::routes())
        .merge(reports::routes())
        .merge(prompts::routes())
        .merge(audit::routes())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ));
    Router::new()
        .merge(authed)
        .merge(crate::desk::router(state.clone()))
        .route("/health", get(system::health))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// Contacts, groups, consent and templates. The CSV import takes bodies up to
/// [`contacts::MAX_IMPORT_BYTES`] (8 MiB) whatever `http.max_body_bytes` says: that limit is
/// sized for JSON, a contact list is not.
fn contacts_routes() -> Router<AppState> {
    use axum::routing::post;
    Router::new()
        .route("/api/v1/contacts", get(contacts::list))
        .route(
            "/api/v1/contacts/import",
            post(contacts::import).layer(DefaultBodyLimit::max(contacts::MAX_IMPORT_BYTES)),
        )
        .route("/api/v1/contacts/export", get(contacts::export))
        .route(
            "/api/v1/contacts/{number}",
            get(contacts::get_one)
                .put(contacts::put)
                .delete(contacts::delete),
        )
        .route("/api/v1/groups", get(contacts::groups))
        .route("/api/v1/consent", get(consent::list))
        .route(
            "/api/v1/consent/{number}",
            get(consent::get_one).put(consent::put),
        )
        .route("/api/v1/templates", get(templates::list))
        .route(
            "/api/v1/templates/{name}",
            get(templates::get_one)
                .put(templates::put)
                .delete(templates::delete),
        )
        .route("/api/v1/templates/{name}/preview", post(templates::render))
}

/// Serves the API on `listener` until `shutdown` is cancelled, then lets in-flight requests
/// finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    let tls = state.config.http.tls();
    if tls.is_none() && !addr.ip().is_loopback() {
        tracing::warn!(
            %addr,
            "the API and the desk are reachable from the network without TLS: passwords, \
             session cookies and tokens cross it in clear; set [http] tls_cert and tls_key or \
             put a TLS proxy in front"
        );
    }
    // The peer address feeds the desk's login throttle.
    let app = router(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let stop = async move { shutdown.cancelled_owned().await };
    #[cfg(feature = "tls")]
    if let Some((cert, key)) = tls {
        use axum::serve::ListenerExt;
        let config = tls::server_config(cert, key).map_err(std::io::Error::other)?;
        tracing::info!(%addr, "HTTP API and desk listening (TLS)");
        let listener = tls::TlsListener::new(listener, config)?.tap_io(|_| {});
        return axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await;
    }
    tracing::info!(%addr, "HTTP API and desk listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
}
