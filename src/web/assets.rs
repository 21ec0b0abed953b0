//! The stylesheet, compiled into the binary, served under a name that carries its
//! hash (so it can be cached for a year) and precompressed with gzip.

use std::io::Write;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::error::AppError;

const CSS: &str = include_str!("../../static/bilim.css");

pub struct Assets {
    css_name: String,
    css_gzip: Vec<u8>,
}

impl Assets {
    pub fn new() -> Self {
        let digest = Sha256::digest(CSS.as_bytes());
        let hash: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing into memory cannot fail; an empty result would only disable gzip.
        let css_gzip: Vec<u8> = encoder
            .write_all(CSS.as_bytes())
            .and_then(|_| encoder.finish())
            .unwrap_or_default();
        Assets {
            css_name: format!("bilim-{hash}.css"),
            css_gzip,
        }
    }

    pub fn css_url(&self) -> String {
        format!("/static/{}", self.css_name)
    }
}

impl Default for Assets {
    fn default() -> Self {
        Self::new()
    }
}

fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').any(|e| e.trim().starts_with("gzip")))
        .unwrap_or(false)
}

pub async fn static_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    if name.as_str() != state.assets.css_name {
        return Err(AppError::NotFound);
    }
    let mut response = HttpResponse::Ok();
    response
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::VARY, "Accept-Encoding"));
    if accepts_gzip(&req) && !state.assets.css_gzip.is_empty() {
        response.insert_header((header::CONTENT_ENCODING, "gzip"));
        Ok(response.body(state.assets.css_gzip.clone()))
    } else {
        Ok(response.body(CSS))
    }
}

/// The installation's logo, from the file named by `BILIM_LOGO`.
pub async fn logo(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let Some(path) = state.config.logo_file.clone() else {
        return Err(AppError::NotFound);
    };
    let content_type = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        _ => return Err(AppError::NotFound),
    };
    let bytes = web::block(move || std::fs::read(path))
        .await?
        .map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(bytes))
}
