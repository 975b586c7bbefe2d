//! Where a webhook may be sent: never to a private, loopback, link-local or otherwise
//! internal address (server-side request forgery), unless configured for development. The
//! check runs when an endpoint is registered and again on every delivery, after the name is
//! resolved, so a name that later resolves inward is refused too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::error::{AppError, AppResult};

/// Longest endpoint URL accepted.
pub const MAX_URL: usize = 2000;

/// Whether `ip` is an address webhooks must not reach.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return internal_v4(v4);
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
                || v6 == Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0)
        }
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier-grade NAT)
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240
}

/// Checks an endpoint URL: `https` (or `http` where internal addresses are allowed, for
/// development), a host, no credentials, and no internal address literal.
pub fn check_url(field: &str, raw: &str, allow_internal: bool) -> AppResult<Url> {
    let raw = raw.trim();
    if raw.len() > MAX_URL {
        return Err(AppError::bad_input(
            field,
            format!("the URL is {} characters; at most {MAX_URL}", raw.len()),
        ));
    }
    let url = Url::parse(raw).map_err(|e| AppError::bad_input(field, format!("not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_internal => {}
        "http" => {
            return Err(AppError::bad_input(
                field,
                "webhooks are sent over https only",
            ));
        }
        other => {
            return Err(AppError::bad_input(
                field,
                format!("`{other}` is not a web address: use https"),
            ));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AppError::bad_input(
            field,
            "put no credentials in the URL: deliveries are signed instead",
        ));
    }
    let Some(host) = url.host() else {
        return Err(AppError::bad_input(field, "the URL has no host"));
    };
    if !allow_internal {
        let literal = match host {
            url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
            url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
            url::Host::Domain(name) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                if name == "localhost"
                    || name.ends_with(".localhost")
                    || name.ends_with(".internal")
                {
                    return Err(refused(field));
                }
                None
            }
        };
        if literal.is_some_and(is_internal) {
            return Err(refused(field));
        }
    }
    Ok(url)
}

fn refused(field: &str) -> AppError {
    AppError::bad_input(
        field,
        "webhooks are never sent to private, loopback or link-local addresses",
    )
}

/// Resolves names for deliveries, dropping internal addresses (all of them refused: the
/// request fails) unless they are allowed.
#[derive(Clone, Debug)]
pub struct GuardedResolver {
    pub allow_internal: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow_internal;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| allow || !is_internal(a.ip()))
                .collect();
            if kept.is_empty() {
                return Err(format!(
                    "{host} resolves only to private, loopback or link-local addresses"
                )
                .into());
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

/// The resolver as reqwest takes it.
pub fn resolver(allow_internal: bool) -> Arc<GuardedResolver> {
    Arc::new(GuardedResolver { allow_internal })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["81.2.69.160", "2a00:1450:4009:81f::200e"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_are_checked() {
        assert!(check_url("url", "https://hooks.example.gov.uk/in", false).is_ok());
        for bad in [
            "http://hooks.example.gov.uk/in",
            "https://127.0.0.1/in",
            "https://[::1]/in",
            "https://169.254.169.254/latest",
            "https://localhost:8080/",
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "not a url",
        ] {
            assert!(check_url("url", bad, false).is_err(), "{bad}");
        }
        assert!(check_url("url", "http://127.0.0.1:9/in", true).is_ok());
    }
}
