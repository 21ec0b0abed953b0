//! A deadline on request bodies. actix-web drops a client that is slow to send its
//! headers, but not one that sends a body a byte every few seconds: a few hundred such
//! clients would hold every connection. A body that has not arrived in full within the
//! deadline ends in an error, so the handler answers and the connection closes.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::rt::time::{timeout, Instant};
use actix_web::HttpMessage;
use futures_util::StreamExt;

/// Whether the request announces a body: a length above zero, or chunks.
fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    length.is_some_and(|length| length > 0) || headers.contains_key(header::TRANSFER_ENCODING)
}

/// Wraps the body of `req` so that reading it fails once `limit` has passed since the
/// request arrived. Requests without a body pass untouched.
pub fn limit_body(req: &mut ServiceRequest, limit: Duration) {
    if !has_body(req) {
        return;
    }
    let deadline = Instant::now() + limit;
    let payload = req.take_payload();
    let timed = futures_util::stream::unfold(Some(payload), move |payload| async move {
        let mut payload = payload?;
        let left = deadline.saturating_duration_since(Instant::now());
        match timeout(left, payload.next()).await {
            Ok(Some(chunk)) => Some((chunk, Some(payload))),
            Ok(None) => None,
            Err(_) => {
                let late = std::io::Error::new(std::io::ErrorKind::TimedOut, "the request body took too long");
                Some((Err(PayloadError::Io(late)), None))
            }
        }
    });
    // Fused: readers such as the multipart one poll again after the end.
    req.set_payload(Payload::Stream {
        payload: Box::pin(timed.fuse()),
    });
}

/// The middleware: every body gets `limit` to arrive.
pub async fn deadline(
    limit: Duration,
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    limit_body(&mut req, limit);
    next.call(req).await
}
