//! Who may call a handler, checked as the request is extracted: a handler names the
//! role set it needs as an argument (`Manager(user): Manager`) instead of checking
//! roles in its body. Someone not signed in gets `Unauthorized` (a redirect to the
//! login page on pages), a signed-in user of another role `Forbidden`.
//!
//! Put the guard after any form or JSON argument, so a request is checked in the
//! same order as before: malformed input and CSRF first, then the role.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::accounts::model::{Role, User};
use crate::error::AppError;
use crate::web::context::RequestContext;

fn signed_in_user(req: &HttpRequest) -> Result<User, AppError> {
    let mut payload = Payload::None;
    let context = RequestContext::from_request(req, &mut payload).into_inner()?;
    context.user.ok_or(AppError::Unauthorized)
}

/// Declares an extractor that admits signed-in users whose role passes `$admits`.
macro_rules! guard {
    ($(#[$meta:meta])* $name:ident, $admits:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name(pub User);

        impl FromRequest for $name {
            type Error = AppError;
            type Future = std::future::Ready<Result<Self, AppError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let admits: fn(Role) -> bool = $admits;
                std::future::ready(signed_in_user(req).and_then(|user| {
                    if admits(user.role) {
                        Ok($name(user))
                    } else {
                        Err(AppError::Forbidden)
                    }
                }))
            }
        }
    };
}

guard!(
    /// Anyone signed in.
    SignedIn,
    |_| true
);
guard!(
    /// Trainers, coordinators and administrators.
    Staff,
    Role::is_staff
);
guard!(
    /// Coordinators and administrators, who manage runs and enrolment.
    Manager,
    Role::manages_runs
);
guard!(
    /// Coordinators, administrators and observers.
    ReportReader,
    Role::reads_reports
);
guard!(
    /// Administrators only.
    Admin,
    Role::is_admin
);
