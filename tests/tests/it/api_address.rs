//! How `galeri serve` derives the client address behind trusted proxies
//! (`galeri_api::address`): spoofed forwarding headers from untrusted peers are ignored, the
//! right-most untrusted hop is the client, only the configured header is read.

use axum::http::{HeaderMap, HeaderValue};
use galeri_api::address::{ForwardedHeader, TrustedProxies};
use std::net::IpAddr;

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
