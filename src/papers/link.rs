//! Download links for reports: a front end offers a plain link to a file, which a browser
//! follows without the caller's bearer token. The link carries a ticket, signed by the service
//! (HMAC-SHA-256), that names the caller, the one report it opens (its exact path and
//! parameters) and when it expires (five minutes at most). The caller's access is decided again
//! when the link is followed, as for any request.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::access::Actor;
use crate::auth::Role;
use crate::codes::OrgKind;
use crate::ids::{OrgId, UserId};

/// What `reportLink` needs of the request: the key, and the address the service is reached at.
#[derive(Clone, Debug)]
pub struct Issuer {
    pub key: LinkKey,
    /// How long its links last: [`LINK_LIFETIME`] at most.
    pub lifetime: chrono::Duration,
    /// `https://hub.example.gov.uk`: the configured public address, or the request's own.
    pub base: String,
}

/// The longest a link lasts.
pub const LINK_LIFETIME: chrono::Duration = chrono::Duration::minutes(5);

/// The key links are signed with. Several instances behind one address must share it
/// (`REPORT_LINK_SECRET`); without one, each process draws its own, and its links open only
/// on it.
#[derive(Clone)]
pub struct LinkKey([u8; 32]);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(…)")
    }
}

/// What a ticket says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Ticket {
    /// The caller: user, organisation, its kind, and the role the caller's token carried.
    user: uuid::Uuid,
    org: uuid::Uuid,
    kind: String,
    role: String,
    /// The report's path and parameters, exactly.
    path: String,
    /// When it expires, in seconds since 1970.
    exp: i64,
}

/// Why a link does not open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the report link is not valid")]
    Invalid,
    #[error("the report link has expired: ask for a new one")]
    Expired,
    #[error("the report link was made for another report")]
    OtherReport,
    #[error("the report link was made for another caller")]
    OtherCaller,
}

impl LinkKey {
    /// The key derived from a configured secret, or a random one.
    pub fn new(secret: Option<&str>) -> Self {
        match secret {
            Some(secret) => LinkKey(Sha256::digest(secret.as_bytes()).into()),
            None => {
                use rand::TryRngCore;
                let mut key = [0u8; 32];
                rand::rngs::OsRng
                    .try_fill_bytes(&mut key)
                    .expect("the operating system gives random bytes");
                LinkKey(key)
            }
        }
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes a key of any length")
    }

    /// A ticket for `caller` to open `path` until `expires`.
    pub fn sign(&self, caller: &Actor, path: &str, expires: DateTime<Utc>) -> String {
        let ticket = Ticket {
            user: caller.user_id.0,
            org: caller.org_id.0,
            kind: caller.org_kind.code().to_owned(),
            role: caller.role.claim().to_owned(),
            path: path.to_owned(),
            exp: expires.timestamp(),
        };
        let body =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&ticket).expect("a ticket serialises"));
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{body}.{signature}")
    }

    /// The caller a ticket names, if it is genuine, unexpired, and for `path`. `bearer`, the
    /// caller of the request's own token when it carries one, must be the same caller.
    pub fn open(
        &self,
        ticket: &str,
        path: &str,
        bearer: Option<&Actor>,
        now: DateTime<Utc>,
    ) -> Result<Actor, LinkError> {
        let (body, signature) = ticket.split_once('.').ok_or(LinkError::Invalid)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| LinkError::Invalid)?;
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| LinkError::Invalid)?;
        let ticket: Ticket = URL_SAFE_NO_PAD
            .decode(body)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(LinkError::Invalid)?;
        if now.timestamp() >= ticket.exp {
            return Err(LinkError::Expired);
        }
        if ticket.path != path {
            return Err(LinkError::OtherReport);
        }
        if let Some(bearer) = bearer
            && (bearer.user_id.0 != ticket.user || bearer.org_id.0 != ticket.org)
        {
            return Err(LinkError::OtherCaller);
        }
        Ok(Actor {
            user_id: UserId(ticket.user),
            org_id: OrgId(ticket.org),
            org_kind: OrgKind::from_code(&ticket.kind).ok_or(LinkError::Invalid)?,
            role: Role::from_claim(&ticket.role).ok_or(LinkError::Invalid)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(user: u128) -> Actor {
        Actor {
            user_id: UserId(uuid::Uuid::from_u128(user)),
            org_id: OrgId(uuid::Uuid::from_u128(7)),
            org_kind: OrgKind::FireAndRescueService,
            role: Role::Viewer,
        }
    }

    #[test]
    fn a_ticket_opens_its_report_for_its_caller_until_it_expires() {
        let key = LinkKey::new(Some("secret"));
        let now = Utc::now();
        let path = "/reports/reviews/rev_1/action-plan.pdf?asOf=2021-11-30";
        let ticket = key.sign(&caller(1), path, now + LINK_LIFETIME);
        assert_eq!(key.open(&ticket, path, None, now).unwrap(), caller(1));
        assert_eq!(
            key.open(&ticket, path, Some(&caller(1)), now).unwrap(),
            caller(1)
        );
        assert_eq!(
            key.open(&ticket, path, Some(&caller(2)), now),
            Err(LinkError::OtherCaller)
        );
        assert_eq!(
            key.open(
                &ticket,
                "/reports/reviews/rev_1/action-plan.csv?asOf=2021-11-30",
                None,
                now
            ),
            Err(LinkError::OtherReport)
        );
        assert_eq!(
            key.open(&ticket, path, None, now + LINK_LIFETIME),
            Err(LinkError::Expired)
        );
        assert_eq!(
            LinkKey::new(Some("other")).open(&ticket, path, None, now),
            Err(LinkError::Invalid)
        );
        let (body, _) = ticket.split_once('.').unwrap();
        assert_eq!(
            key.open(&format!("{body}.AAAA"), path, None, now),
            Err(LinkError::Invalid)
        );
        assert_eq!(
            key.open("garbage", path, None, now),
            Err(LinkError::Invalid)
        );
    }
}
