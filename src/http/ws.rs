//! `GET /graphql` with a WebSocket upgrade: subscriptions, in the `graphql-transport-ws`
//! protocol (and the legacy `graphql-ws`).
//!
//! The token travels in `connection_init`'s payload (`{"authorization": "Bearer …"}`): a
//! refused one closes the socket with 4401, and an accepted one closes it with 4401 when it
//! expires. A subscriber too slow to keep up is closed with 4008, and every socket with 1001
//! when the service shuts down. The protocol itself (acknowledging, subscribing, completing)
//! is async-graphql's; this module pumps its messages and adds the closes.

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::http::{WebSocket as GraphqlSocket, WebSocketProtocols, WsMessage};
use async_graphql::{Data, Executor, Request, Response};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use futures_util::stream::BoxStream;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;

use super::AppState;
use crate::access::{ResolveError, resolve_actor};
use crate::events::subscriptions::{Closing, EventSlot, Subscriber};
use crate::graphql::AppSchema;
use crate::graphql::limits::code_refusal;
use crate::graphql::order::{self, Shapes};
use crate::limits::Limits;

/// Close code of a refused or expired token.
const UNAUTHORISED: u16 = 4401;
/// Close code of a connection that never sent `connection_init` in time.
const INIT_TIMEOUT: u16 = 4408;
/// How long a new connection has to send `connection_init`.
const INIT_WITHIN: Duration = Duration::from_secs(10);
/// The largest message a client may send (a subscription document and its variables).
const MAX_MESSAGE: usize = 256 * 1024;

/// `GET /graphql`: a WebSocket upgrade for subscriptions, or a query (or GraphiQL).
pub(super) async fn graphql_get_or_socket(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (mut parts, _) = request.into_parts();
    if !wants_socket(&parts.headers) {
        return super::graphql::graphql_get(State(state), parts.headers, parts.uri)
            .await
            .into_response();
    }
    match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(upgrade) => {
            let upgrade = upgrade
                .protocols(["graphql-transport-ws", "graphql-ws"])
                .max_message_size(MAX_MESSAGE);
            let protocol = upgrade
                .selected_protocol()
                .and_then(|p| p.to_str().ok())
                .and_then(|p| WebSocketProtocols::from_str(p).ok())
                .unwrap_or(WebSocketProtocols::GraphQLWS);
            upgrade.on_upgrade(move |socket| serve(state, socket, protocol))
        }
        Err(rejection) => rejection.into_response(),
    }
}

fn wants_socket(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The schema for subscriptions: each document admitted under the same limits as over HTTP,
/// each subscription given a slot for its deliveries' scopes, each answer in the order asked.
#[derive(Clone)]
struct Subscriptions {
    schema: AppSchema,
    limits: Limits,
    shapes: Arc<Shapes>,
}

impl Executor for Subscriptions {
    async fn execute(&self, request: Request) -> Response {
        self.execute_stream(request, None)
            .next()
            .await
            .unwrap_or_default()
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let (request, document) =
            match super::graphql::admit_subscription(request, &self.limits, &self.shapes) {
                Ok(admitted) => admitted,
                Err(error) => {
                    return futures_util::stream::once(async move {
                        Response::from_errors(vec![error])
                    })
                    .boxed();
                }
            };
        let operation = request.operation_name.clone();
        let variables = request.variables.clone();
        let shapes = self.shapes.clone();
        let limits = self.limits.clone();
        let request = request.data(Arc::new(EventSlot::default()));
        self.schema
            .execute_stream_with_session_data(request, session_data.unwrap_or_default())
            .map(move |mut response| {
                code_refusal(&mut response, &limits);
                order::reorder(
                    &mut response,
                    &document,
                    operation.as_deref(),
                    &variables,
                    &shapes,
                );
                response
            })
            .boxed()
    }
}

/// What `connection_init` settled: when the token expires, or why it was refused.
#[derive(Default)]
struct Init {
    expires_at: Option<i64>,
    refused: Option<String>,
}

async fn serve(state: AppState, socket: WebSocket, protocol: WebSocketProtocols) {
    let (mut sink, stream) = socket.split();
    let incoming = stream
        .take_while(|m| {
            futures_util::future::ready(matches!(m, Ok(m) if !matches!(m, Message::Close(_))))
        })
        .filter_map(|m| {
            futures_util::future::ready(match m {
                Ok(Message::Text(text)) => Some(text.as_str().as_bytes().to_vec()),
                Ok(Message::Binary(bytes)) => Some(bytes.to_vec()),
                _ => None,
            })
        });
    let (closing_tx, mut closing) = mpsc::channel::<Closing>(4);
    let init = Arc::new(Mutex::new(Init::default()));
    let on_init = {
        let state = state.clone();
        let init = init.clone();
        move |payload: serde_json::Value| async move {
            match connect(&state, &payload, closing_tx).await {
                Ok((subscriber, expires_at)) => {
                    lock(&init).expires_at = Some(expires_at);
                    let mut data = Data::default();
                    data.insert(Arc::new(subscriber));
                    Ok(data)
                }
                Err(reason) => {
                    lock(&init).refused = Some(reason.clone());
                    Err(async_graphql::Error::new(reason))
                }
            }
        }
    };
    let subscriptions = Subscriptions {
        schema: state.subscription_schema.clone(),
        limits: state.limits.clone(),
        shapes: state.shapes.clone(),
    };
    let mut graphql =
        GraphqlSocket::new(subscriptions, incoming, protocol).on_connection_init(on_init);
    let opened = tokio::time::Instant::now();
    let mut shutdown = state.shutdown.clone();
    let close = loop {
        let deadline = match lock(&init).expires_at {
            Some(at) => {
                let left = at.saturating_sub(chrono::Utc::now().timestamp()).max(0) as u64;
                tokio::time::Instant::now() + Duration::from_secs(left)
            }
            None => opened + INIT_WITHIN,
        };
        tokio::select! {
            message = graphql.next() => match message {
                Some(WsMessage::Text(text)) => {
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break None;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    // A refused connection_init: the protocol's own code for it is 4401.
                    let refused = lock(&init).refused.take();
                    break Some(match refused {
                        Some(reason) => (UNAUTHORISED, reason),
                        None => (code, reason),
                    });
                }
                None => break None,
            },
            Some(closing) = closing.recv() => break Some((closing.code, closing.reason)),
            _ = tokio::time::sleep_until(deadline) => {
                break Some(if lock(&init).expires_at.is_some() {
                    (UNAUTHORISED, "the token expired: connect again with a fresh one".to_owned())
                } else {
                    (INIT_TIMEOUT, "connection initialisation timeout".to_owned())
                });
            }
            _ = shutdown.changed() => break Some((1001, "the service is shutting down".to_owned())),
        }
    };
    if let Some((code, reason)) = close {
        let frame = CloseFrame {
            code,
            reason: reason.chars().take(120).collect::<String>().into(),
        };
        let _ = sink.send(Message::Close(Some(frame))).await;
    }
    let _ = sink.close().await;
}

fn lock(init: &Mutex<Init>) -> std::sync::MutexGuard<'_, Init> {
    init.lock().unwrap_or_else(|e| e.into_inner())
}

/// Checks `connection_init`'s token and makes the connection's subscriber; the reason to
/// refuse it otherwise.
async fn connect(
    state: &AppState,
    payload: &serde_json::Value,
    closing: mpsc::Sender<Closing>,
) -> Result<(Subscriber, i64), String> {
    let value = ["authorization", "Authorization"]
        .iter()
        .find_map(|k| payload.get(*k))
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| {
            "connection_init's payload must carry {\"authorization\": \"Bearer <token>\"}"
                .to_owned()
        })?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .unwrap_or(value)
        .trim();
    let token = state.keys.verify(token).map_err(|e| e.to_string())?;
    let actor = resolve_actor(&state.db, &state.callers, &token)
        .await
        .map_err(|e| match e {
            ResolveError::Token(err) => err.to_string(),
            // The detail is logged, never sent.
            ResolveError::App(err) => {
                tracing::warn!(error = %err, "checking a subscriber's token failed");
                "the token could not be checked just now; connect again shortly".to_owned()
            }
        })?;
    let subscriber = Subscriber::new(
        actor,
        state.db.clone(),
        state.remembered.clone(),
        state.hub.clone(),
        state.limits.max_statements,
        closing,
    );
    Ok((subscriber, token.expires_at))
}
