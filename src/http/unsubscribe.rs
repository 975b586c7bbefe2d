//! The one-click unsubscribe of a reminder's mail (RFC 8058): `POST
//! /reminders/unsubscribe?token=…` turns off the reminders of the person the token was sent
//! to, in the organisation that sent it, and nobody else's. `GET` on the same link (what a
//! person's click in a mail reader does, and what link scanners fetch) changes nothing: it
//! shows a page whose button posts.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use crate::reminders::content::escape;

/// The link's query.
#[derive(serde::Deserialize)]
pub(crate) struct Link {
    #[serde(default)]
    token: String,
}

fn page(status: StatusCode, heading: &str, body: &str) -> Response {
    (
        status,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Html(format!(
            "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\"><title>{heading}</title></head>\
             <body style=\"font-family:Arial,Helvetica,sans-serif;max-width:640px;margin:40px auto;padding:0 16px;color:#0b0c0c\">\
             <h1 style=\"font-size:28px\">{heading}</h1>{body}</body></html>\n"
        )),
    )
        .into_response()
}

fn unknown() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "This link is not valid",
        "<p>Check that the whole link was copied from the email.</p>",
    )
}

fn failed(err: crate::error::AppError) -> Response {
    tracing::error!(error = %err, "an unsubscribe link could not be followed");
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Something went wrong",
        "<p>Nothing was changed. Try the link again in a few minutes.</p>",
    )
}

/// `GET`: asks, and changes nothing.
pub(crate) async fn confirm(State(state): State<AppState>, Query(link): Query<Link>) -> Response {
    match crate::reminders::mail::by_token(&state.db, &link.token).await {
        Ok(Some((_, _, organisation))) => page(
            StatusCode::OK,
            "Stop reminder emails?",
            &format!(
                "<p>You will no longer receive reminder emails from {}. Reminders stay in the \
                 service's notifications, and you can turn the emails back on in your settings.</p>\
                 <form method=\"post\"><button type=\"submit\" style=\"font-size:19px;padding:8px 16px;\
                 background:#00703c;color:#fff;border:0\">Stop reminder emails</button></form>",
                escape(&organisation)
            ),
        ),
        Ok(None) => unknown(),
        Err(err) => failed(err),
    }
}

/// `POST`: unsubscribes (the mail reader's one-click, or the confirmation page's button).
pub(crate) async fn unsubscribe(
    State(state): State<AppState>,
    Query(link): Query<Link>,
) -> Response {
    match crate::reminders::mail::unsubscribe(&state.db, &link.token).await {
        Ok(Some(organisation)) => page(
            StatusCode::OK,
            "You have unsubscribed",
            &format!(
                "<p>You will no longer receive reminder emails from {}.</p>",
                escape(&organisation)
            ),
        ),
        Ok(None) => unknown(),
        Err(err) => failed(err),
    }
}
