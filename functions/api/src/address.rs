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
