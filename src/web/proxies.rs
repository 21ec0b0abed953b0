//! The client's address, as rate limits key it. The forwarding headers a load
//! balancer adds (`X-Forwarded-For` or `Forwarded`) are read only when the connection
//! comes from a proxy named in `BILIM_TRUSTED_PROXIES`; anyone else could write them.
//! Each proxy appends the address it received the request from, so the client is the
//! rightmost hop that is not itself a trusted proxy: everything left of it was written
//! by the client and is ignored.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use actix_web::http::header::HeaderMap;

/// An address range in CIDR notation (`10.0.0.0/8`, `fd00::/8`), or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    network: IpAddr,
    prefix: u8,
}

/// IPv4 addresses written as IPv6 (`::ffff:10.0.0.1`, as dual-stack sockets report
/// them) are read as IPv4, so one range covers both spellings.
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

fn mask_v4(ip: Ipv4Addr, prefix: u8) -> u32 {
    u32::from(ip) & u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask_v6(ip: Ipv6Addr, prefix: u8) -> u128 {
    u128::from(ip) & u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

impl IpNet {
    /// Reads `a.b.c.d/n`, `x:y::z/n` or a single address. Bits beyond the prefix are
    /// ignored (`10.1.2.3/8` is `10.0.0.0/8`).
    pub fn parse(text: &str) -> Result<IpNet, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or a CIDR range"))?;
        let address = canonical(address);
        let longest: u8 = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => longest,
            Some(prefix) => prefix
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= longest)
                .ok_or_else(|| format!("{text:?} has a prefix length that is not a number from 0 to {longest}"))?,
        };
        let network = match address {
            IpAddr::V4(v4) => IpAddr::V4(Ipv4Addr::from(mask_v4(v4, prefix))),
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(mask_v6(v6, prefix))),
        };
        Ok(IpNet { network, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(network), IpAddr::V4(ip)) => mask_v4(ip, self.prefix) == u32::from(network),
            (IpAddr::V6(network), IpAddr::V6(ip)) => mask_v6(ip, self.prefix) == u128::from(network),
            _ => false,
        }
    }
}

impl std::fmt::Display for IpNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// Which header the trusted proxies write the client's address into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, HAProxy, most load balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239: `Forwarded: for=client, for="[2001:db8::1]:4711"`.
    Forwarded,
}

impl ForwardedHeader {
    pub fn parse(text: &str) -> Option<ForwardedHeader> {
        match text.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Some(ForwardedHeader::XForwardedFor),
            "forwarded" => Some(ForwardedHeader::Forwarded),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
        }
    }
}

/// The proxies whose forwarding header is believed (`BILIM_TRUSTED_PROXIES`), and
/// which header that is (`BILIM_FORWARDED_HEADER`). Only that one header is read: a
/// proxy that appends to `X-Forwarded-For` passes a `Forwarded` header written by the
/// client on unchanged, and the other way round.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    /// No proxy: the client is the connection's peer.
    pub fn none() -> TrustedProxies {
        TrustedProxies::default()
    }

    /// Reads a comma-separated list of addresses and CIDR ranges; an empty list
    /// trusts no proxy. Any entry that does not parse is an error naming it.
    pub fn parse(list: &str, header: ForwardedHeader) -> Result<TrustedProxies, String> {
        let nets = list
            .split(',')
            .filter(|entry| !entry.trim().is_empty())
            .map(IpNet::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedProxies { nets, header })
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|net| net.contains(ip))
    }

    /// The client's address: the peer, unless the peer is a trusted proxy; then the
    /// rightmost hop of the forwarding header that is not a trusted proxy. A hop that
    /// cannot be read ends the walk: the last address read before it counts (a trusted
    /// proxy, which at least is not the client's own choice), or the peer.
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> IpAddr {
        let peer = peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), canonical);
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        for hop in self.hops(headers).into_iter().rev() {
            let Some(ip) = hop else { break };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }

    /// The hops of the configured header, left to right, over all its lines; `None`
    /// for a hop that is not an address (`unknown`, an obfuscated name, garbage).
    fn hops(&self, headers: &HeaderMap) -> Vec<Option<IpAddr>> {
        let mut hops = Vec::new();
        for value in headers.get_all(self.header.name()) {
            let Ok(text) = value.to_str() else {
                hops.push(None);
                continue;
            };
            match self.header {
                ForwardedHeader::XForwardedFor => hops.extend(text.split(',').map(hop_address)),
                ForwardedHeader::Forwarded => {
                    hops.extend(split_outside_quotes(text, ',').into_iter().map(forwarded_for));
                }
            }
        }
        hops
    }
}

/// One hop: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]:4711`,
/// `[2001:db8::1]`, each perhaps in double quotes.
fn hop_address(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim();
    let raw = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw)
        .trim();
    if let Ok(ip) = raw.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(socket) = raw.parse::<SocketAddr>() {
        return Some(canonical(socket.ip()));
    }
    raw.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|inner| inner.parse::<IpAddr>().ok())
        .map(canonical)
}

/// The `for=` parameter of one element of a `Forwarded` header.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    split_outside_quotes(element, ';')
        .into_iter()
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
        .and_then(|(_, value)| hop_address(value))
}

/// `text` split at `separator`, except inside double-quoted strings (where a
/// backslash escapes the next character).
fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (index, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            parts.push(text.get(start..index).unwrap_or_default());
            start = index + c.len_utf8();
        }
    }
    parts.push(text.get(start..).unwrap_or_default());
    parts
}

/// The key a client address is counted under: an IPv4 address itself, an IPv6
/// address by its /64 network, which one subscriber usually holds whole.
pub fn address_key(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("{}/64", Ipv6Addr::from(mask_v6(v6, 64))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn headers(name: &str, values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn xff(list: &str) -> TrustedProxies {
        TrustedProxies::parse(list, ForwardedHeader::XForwardedFor).unwrap()
    }

    #[test]
    fn ranges_contain_exactly_their_addresses() {
        let net = IpNet::parse("10.0.0.0/8").unwrap();
        assert!(net.contains(ip("10.255.1.2")));
        assert!(net.contains(ip("::ffff:10.0.0.1")));
        assert!(!net.contains(ip("11.0.0.0")));
        assert!(!net.contains(ip("::1")));
        let one = IpNet::parse("127.0.0.1").unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let everything = IpNet::parse("0.0.0.0/0").unwrap();
        assert!(everything.contains(ip("203.0.113.9")));
        let v6 = IpNet::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        assert!(IpNet::parse("::/0").unwrap().contains(ip("fe80::1")));
        assert_eq!(IpNet::parse("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert!(IpNet::parse("fd00::1/128").unwrap().contains(ip("fd00::1")));
    }

    #[test]
    fn a_malformed_range_is_refused_with_its_text() {
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "proxy.local",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "/8",
        ] {
            let error = IpNet::parse(bad).unwrap_err();
            assert!(error.contains(bad), "{error}");
        }
        assert!(TrustedProxies::parse("10.0.0.0/8, nonsense", ForwardedHeader::XForwardedFor).is_err());
        assert!(TrustedProxies::parse(" , ", ForwardedHeader::XForwardedFor)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let proxies = xff("10.0.0.0/8");
        let map = headers("x-forwarded-for", &["198.51.100.7"]);
        assert_eq!(proxies.client(Some(ip("203.0.113.1")), &map), ip("203.0.113.1"));
        assert_eq!(
            TrustedProxies::none().client(Some(ip("10.0.0.1")), &map),
            ip("10.0.0.1")
        );
        assert_eq!(proxies.client(None, &map), ip("0.0.0.0"));
    }

    #[test]
    fn the_client_is_the_rightmost_hop_that_is_not_a_trusted_proxy() {
        let proxies = xff("10.0.0.0/8,127.0.0.1");
        let peer = Some(ip("127.0.0.1"));
        let spoofed = headers("x-forwarded-for", &["1.1.1.1, 198.51.100.7, 10.0.0.5"]);
        assert_eq!(proxies.client(peer, &spoofed), ip("198.51.100.7"));
        // Several header lines read as one list, in order.
        let lines = headers("x-forwarded-for", &["1.1.1.1", "198.51.100.7:5123", "10.0.0.5"]);
        assert_eq!(proxies.client(peer, &lines), ip("198.51.100.7"));
        // Every hop trusted: the leftmost is the client (an internal machine).
        let internal = headers("x-forwarded-for", &["10.0.0.9, 10.0.0.5"]);
        assert_eq!(proxies.client(peer, &internal), ip("10.0.0.9"));
        // No header: the proxy itself.
        assert_eq!(proxies.client(peer, &HeaderMap::new()), ip("127.0.0.1"));
        let v6 = headers("x-forwarded-for", &["[2001:db8::7]:443"]);
        assert_eq!(proxies.client(peer, &v6), ip("2001:db8::7"));
    }

    #[test]
    fn garbage_stops_the_walk_at_the_last_address_read() {
        let proxies = xff("10.0.0.0/8");
        let peer = Some(ip("10.0.0.1"));
        let garbage_next_to_peer = headers("x-forwarded-for", &["198.51.100.7, not-an-address"]);
        assert_eq!(proxies.client(peer, &garbage_next_to_peer), ip("10.0.0.1"));
        let garbage_beyond_a_proxy = headers("x-forwarded-for", &["198.51.100.7, unknown, 10.0.0.5"]);
        assert_eq!(proxies.client(peer, &garbage_beyond_a_proxy), ip("10.0.0.5"));
        let empty_hop = headers("x-forwarded-for", &["198.51.100.7,,"]);
        assert_eq!(proxies.client(peer, &empty_hop), ip("10.0.0.1"));
        let mut binary = HeaderMap::new();
        binary.append(
            HeaderName::from_static("x-forwarded-for"),
            HeaderValue::from_bytes(b"198.51.100.7, \xff\xfe").unwrap(),
        );
        assert_eq!(proxies.client(peer, &binary), ip("10.0.0.1"));
    }

    #[test]
    fn forwarded_for_is_read_with_quotes_ports_and_other_parameters() {
        let proxies = TrustedProxies::parse("10.0.0.0/8", ForwardedHeader::Forwarded).unwrap();
        let peer = Some(ip("10.0.0.1"));
        let quoted = headers(
            "forwarded",
            &[r#"for=1.1.1.1, for="[2001:db8:cafe::17]:4711";proto=https;by=10.0.0.1"#],
        );
        assert_eq!(proxies.client(peer, &quoted), ip("2001:db8:cafe::17"));
        let upper = headers("forwarded", &["For=198.51.100.7:80;Proto=http, for=10.0.0.3"]);
        assert_eq!(proxies.client(peer, &upper), ip("198.51.100.7"));
        let comma_in_quotes = headers("forwarded", &[r#"for=198.51.100.7;host="a,b", for=10.0.0.3"#]);
        assert_eq!(proxies.client(peer, &comma_in_quotes), ip("198.51.100.7"));
        let hidden = headers("forwarded", &["for=198.51.100.7, for=_hidden"]);
        assert_eq!(proxies.client(peer, &hidden), ip("10.0.0.1"));
        let no_for = headers("forwarded", &["proto=https"]);
        assert_eq!(proxies.client(peer, &no_for), ip("10.0.0.1"));
        // The other header is not read at all.
        let other = headers("x-forwarded-for", &["198.51.100.7"]);
        assert_eq!(proxies.client(peer, &other), ip("10.0.0.1"));
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_network() {
        assert_eq!(address_key(ip("2001:db8:1:2:3:4:5:6")), "2001:db8:1:2::/64");
        assert_eq!(address_key(ip("2001:db8:1:2::9")), "2001:db8:1:2::/64");
        assert_eq!(address_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(address_key(ip("192.0.2.1")), "192.0.2.1");
    }
}
