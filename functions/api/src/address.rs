//! The client address that failed lookups are counted against, when `galeri serve` runs behind
//! a reverse proxy or on the gallery LAN. Forwarding headers are written by whoever sent the
//! request, so they are believed only when the TCP peer is a proxy the operator named
//! (`--trusted-proxy CIDR`), and then only up to the first hop that is not one of them: the
//! right-most untrusted address is the first one that no trusted proxy vouches for, so a client
//! cannot choose its own address by writing the header itself.
//!
//! Only the header the proxy writes is read (`X-Forwarded-For` by default, or RFC 7239
//! `Forwarded`): a proxy passes the other one through untouched, so its every entry would be the
//! client's choice.

use crate::extract::ClientAddress;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Which forwarding header the trusted proxies write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, Caddy, Traefik, Envoy, HAProxy
    /// `option forwardfor`).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client;proto=https, for=proxy1` (HAProxy `option forwarded`).
    Forwarded,
}

impl ForwardedHeader {
    fn name(self) -> &'static str {
        match self {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
        }
    }
}

/// The proxies whose forwarding header is believed. Empty (the default): headers are ignored
/// and the TCP peer is the client.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    ranges: Vec<IpNet>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    pub fn new(ranges: Vec<IpNet>, header: ForwardedHeader) -> TrustedProxies {
        TrustedProxies { ranges, header }
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.ranges.iter().any(|range| range.contains(&address))
    }

    /// The client behind `peer`: the peer itself unless it is trusted; else the right-most hop
    /// of the forwarding header that is not trusted. A hop that cannot be read as an address
    /// (`unknown`, an obfuscated name, garbage) stops the walk at the last trusted address, so
    /// such requests are counted against that proxy rather than against a name anyone can
    /// write. When every hop is trusted, the left-most is the client.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        for hop in self.hops(headers).into_iter().rev() {
            let Some(address) = hop else {
                return client;
            };
            client = address;
            if !self.trusts(address) {
                return address;
            }
        }
        client
    }

    /// The hops the header lists, left (farthest) to right (nearest); `None` for one that is
    /// not an address. Repeated header lines are one list, in order (RFC 9110 §5.3).
    fn hops(&self, headers: &HeaderMap) -> Vec<Option<IpAddr>> {
        let mut hops = Vec::new();
        for value in headers.get_all(self.header.name()) {
            let Ok(text) = value.to_str() else {
                hops.push(None);
                continue;
            };
            for element in text.split(',') {
                let node = match self.header {
                    ForwardedHeader::XForwardedFor => Some(element),
                    ForwardedHeader::Forwarded => forwarded_for(element),
                };
                hops.push(node.and_then(parse_node));
            }
        }
        hops
    }
}

/// The `for=` parameter of one `Forwarded` element (`for=1.2.3.4;proto=https`).
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim().eq_ignore_ascii_case("for").then_some(value)
    })
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]:4711`, optionally quoted (RFC 7239 quotes IPv6 and ports).
fn parse_node(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(address) = text.parse::<IpAddr>() {
        return Some(address.to_canonical());
    }
    if let Ok(socket) = text.parse::<SocketAddr>() {
        return Some(socket.ip().to_canonical());
    }
    // `[2001:db8::1]` without a port.
    text.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse::<IpAddr>().ok())
        .map(|address| address.to_canonical())
}

/// Middleware for a server that owns its socket (`galeri serve`): sets the request's
/// [`ClientAddress`] from the peer and, behind trusted proxies, the forwarding header.
pub async fn set_client_address(
    State(proxies): State<Arc<TrustedProxies>>,
    mut request: Request,
) -> Request {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        let address = proxies.client_address(peer.ip(), request.headers());
        request
            .extensions_mut()
            .insert(ClientAddress(address.to_string()));
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse()
            .unwrap_or_else(|error| panic!("{text}: {error}"))
    }

    fn proxies(ranges: &[&str], header: ForwardedHeader) -> TrustedProxies {
        let ranges = ranges
            .iter()
            .map(|range| {
                range
                    .parse()
                    .unwrap_or_else(|error| panic!("{range}: {error}"))
            })
            .collect();
        TrustedProxies::new(ranges, header)
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_writes() {
        let spoofed = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("forwarded", "for=203.0.113.10"),
        ]);
        // No proxy configured: headers are never read.
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_address(ip("198.51.100.7"), &spoofed),
            ip("198.51.100.7")
        );
        // A proxy configured, but this peer is not it.
        let lan = proxies(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        assert_eq!(
            lan.client_address(ip("198.51.100.7"), &spoofed),
            ip("198.51.100.7")
        );
        let lan = proxies(&["10.0.0.0/8"], ForwardedHeader::Forwarded);
        assert_eq!(
            lan.client_address(ip("198.51.100.7"), &spoofed),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client() {
        let proxy = proxies(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        // The client wrote `1.1.1.1` itself; the proxy appended the address it saw.
        let forwarded = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7")]);
        assert_eq!(
            proxy.client_address(ip("10.0.0.2"), &forwarded),
            ip("198.51.100.7")
        );
        // Two proxies in the trusted range: both are skipped.
        let chain = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7, 10.0.0.3")]);
        assert_eq!(
            proxy.client_address(ip("10.0.0.2"), &chain),
            ip("198.51.100.7")
        );
        // Repeated header lines are one list, in order.
        let split = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "198.51.100.7, 10.0.0.3"),
        ]);
        assert_eq!(
            proxy.client_address(ip("10.0.0.2"), &split),
            ip("198.51.100.7")
        );
        // Every hop trusted (a till on the LAN through the gallery proxy): the left-most.
        let internal = headers(&[("x-forwarded-for", "10.1.2.3, 10.0.0.3")]);
        assert_eq!(
            proxy.client_address(ip("10.0.0.2"), &internal),
            ip("10.1.2.3")
        );
        // A trusted peer that forwards nothing: the peer.
        assert_eq!(
            proxy.client_address(ip("10.0.0.2"), &HeaderMap::new()),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn only_the_configured_header_is_read() {
        // The proxy writes X-Forwarded-For; a `Forwarded` the client wrote passes through it
        // untouched and must not be believed.
        let proxy = proxies(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        let both = headers(&[
            ("forwarded", "for=203.0.113.10"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(
            proxy.client_address(ip("10.0.0.2"), &both),
            ip("198.51.100.7")
        );
        let proxy = proxies(&["10.0.0.0/8"], ForwardedHeader::Forwarded);
        let both = headers(&[
            ("x-forwarded-for", "203.0.113.10"),
            (
                "forwarded",
                "for=1.1.1.1, for=198.51.100.7;proto=https;by=10.0.0.2",
            ),
        ]);
        assert_eq!(
            proxy.client_address(ip("10.0.0.2"), &both),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn forwarded_nodes_in_every_written_form() {
        let proxy = proxies(&["10.0.0.0/8", "fd00::/8"], ForwardedHeader::Forwarded);
        let cases = [
            ("for=192.0.2.60;proto=http", "192.0.2.60"),
            ("For=\"192.0.2.60:4711\"", "192.0.2.60"),
            ("for=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17"),
            ("for=\"[2001:db8:cafe::17]\"", "2001:db8:cafe::17"),
            ("proto=https;for=198.51.100.7", "198.51.100.7"),
        ];
        for (value, client) in cases {
            let map = headers(&[("forwarded", value)]);
            assert_eq!(
                proxy.client_address(ip("fd00::1"), &map),
                ip(client),
                "{value}"
            );
        }
        // An IPv4 peer seen through an IPv6 socket is still inside the IPv4 range.
        let map = headers(&[("forwarded", "for=192.0.2.60")]);
        assert_eq!(
            proxy.client_address(ip("::ffff:10.0.0.2"), &map),
            ip("192.0.2.60")
        );
    }

    #[test]
    fn an_unreadable_hop_stops_at_the_last_trusted_address() {
        let proxy = proxies(&["10.0.0.0/8"], ForwardedHeader::Forwarded);
        let hidden = headers(&[("forwarded", "for=198.51.100.7, for=_hidden, for=10.0.0.3")]);
        assert_eq!(
            proxy.client_address(ip("10.0.0.2"), &hidden),
            ip("10.0.0.3")
        );
        let unknown = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(
            proxy.client_address(ip("10.0.0.2"), &unknown),
            ip("10.0.0.2")
        );
        let proxy = proxies(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        let garbage = headers(&[("x-forwarded-for", "1.1.1.1, not-an-address")]);
        assert_eq!(
            proxy.client_address(ip("10.0.0.2"), &garbage),
            ip("10.0.0.2")
        );
    }
}
