//! Proxies: HTTP CONNECT (with optional Basic auth) and SOCKS5 (no auth, or user/password,
//! RFC 1929) with the target as a domain name so the proxy resolves it (RFC 1928).

use super::lines::quote;
use super::{Dialogue, Say};
use crate::trace::escape::escape;

/// A `--proxy` URL: `http://[user:pass@]HOST:PORT` or `socks5://[user:pass@]HOST:PORT`.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    pub kind: ProxyKind,
    pub host: String,
    pub port: u16,
    /// User and password (never printed).
    pub auth: Option<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    HttpConnect,
    Socks5,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the password.
        write!(f, "{}", self.display())
    }
}

impl Proxy {
    pub fn parse(text: &str) -> Result<Proxy, String> {
        let text = text.trim();
        let (kind, rest) = if let Some(r) = text.strip_prefix("http://") {
            (ProxyKind::HttpConnect, r)
        } else if let Some(r) = text.strip_prefix("socks5://") {
            (ProxyKind::Socks5, r)
        } else if let Some(r) = text.strip_prefix("socks5h://") {
            (ProxyKind::Socks5, r)
        } else {
            return Err(format!(
                "malformed proxy {:?}: use http://[user:pass@]HOST:PORT or socks5://HOST:PORT",
                escape(text)
            ));
        };
        let rest = rest.trim_end_matches('/');
        let (auth, hostport) = match rest.rsplit_once('@') {
            Some((creds, hp)) => {
                let (user, pass) = creds.split_once(':').unwrap_or((creds, ""));
                (Some((user.to_string(), pass.to_string())), hp)
            }
            None => (None, rest),
        };
        let target =
            crate::probe::spec::Target::parse(hostport).map_err(|e| format!("proxy: {e}"))?;
        if let (ProxyKind::Socks5, Some((u, p))) = (kind, &auth) {
            if u.len() > 255 || p.len() > 255 {
                return Err("proxy: a SOCKS5 user name or password is at most 255 bytes".into());
            }
        }
        Ok(Proxy {
            kind,
            host: target.host,
            port: target.port,
            auth,
        })
    }

    /// The URL without the password.
    pub fn display(&self) -> String {
        let scheme = match self.kind {
            ProxyKind::HttpConnect => "http",
            ProxyKind::Socks5 => "socks5",
        };
        let user = self
            .auth
            .as_ref()
            .map(|(u, _)| format!("{u}:***@"))
            .unwrap_or_default();
        let target = crate::probe::spec::Target {
            host: self.host.clone(),
            port: self.port,
        };
        format!("{scheme}://{user}{target}")
    }

    /// The dialogue that asks this proxy for a tunnel to `host:port`.
    pub(crate) fn dialogue(&self, host: &str, port: u16) -> Box<dyn Dialogue> {
        match self.kind {
            ProxyKind::HttpConnect => Box::new(HttpConnect {
                target: crate::probe::spec::Target {
                    host: host.to_string(),
                    port,
                }
                .to_string(),
                auth: self.auth.clone(),
                sent: false,
            }),
            ProxyKind::Socks5 => Box::new(Socks5 {
                host: host.to_string(),
                port,
                auth: self.auth.clone(),
                state: SocksState::Start,
            }),
        }
    }
}

struct HttpConnect {
    target: String,
    auth: Option<(String, String)>,
    sent: bool,
}

impl Dialogue for HttpConnect {
    fn next(&mut self, input: &mut Vec<u8>, heard: &mut Vec<String>) -> Say {
        if !self.sent {
            self.sent = true;
            let mut shown = vec![
                format!("CONNECT {} HTTP/1.1", self.target),
                format!("Host: {}", self.target),
            ];
            let mut text = format!("{}\r\n{}\r\n", shown[0], shown[1]);
            if let Some((user, pass)) = &self.auth {
                let token = openssl::base64::encode_block(format!("{user}:{pass}").as_bytes());
                text.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
                shown.push("Proxy-Authorization: Basic (hidden)".into());
            }
            text.push_str("\r\n");
            shown.push(String::new());
            return Say::Send {
                bytes: text.into_bytes(),
                shown,
            };
        }
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        let head_len = match response.parse(input) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => return Say::More,
            Err(e) => {
                let text = String::from_utf8_lossy(input).into_owned();
                return Say::Refused(format!(
                    "the proxy's answer is not HTTP ({e}): {}",
                    quote(text.lines().next().unwrap_or_default())
                ));
            }
        };
        let code = response.code.unwrap_or(0);
        let head: Vec<u8> = input.drain(..head_len).collect();
        let head = String::from_utf8_lossy(&head).into_owned();
        let status = head.lines().next().unwrap_or_default().to_string();
        heard.extend(head.lines().map(str::to_string));
        if (200..300).contains(&code) {
            Say::GoAhead
        } else {
            Say::Refused(format!("the proxy refused CONNECT: {}", quote(&status)))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SocksState {
    Start,
    Method,
    Auth,
    Connect,
}

struct Socks5 {
    host: String,
    port: u16,
    auth: Option<(String, String)>,
    state: SocksState,
}

/// REP of a SOCKS5 reply, in words (RFC 1928 §6).
fn socks_reply(code: u8) -> &'static str {
    match code {
        1 => "general SOCKS server failure",
        2 => "connection not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "unassigned reply code",
    }
}

impl Socks5 {
    fn connect_request(&self) -> Say {
        let mut bytes = vec![5, 1, 0];
        match self.host.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(ip)) => {
                bytes.push(1);
                bytes.extend_from_slice(&ip.octets());
            }
            Ok(std::net::IpAddr::V6(ip)) => {
                bytes.push(4);
                bytes.extend_from_slice(&ip.octets());
            }
            Err(_) => {
                // Domain names longer than 255 bytes cannot be sent; DNS allows 253.
                let name = &self.host.as_bytes()[..self.host.len().min(255)];
                bytes.push(3);
                bytes.push(name.len() as u8);
                bytes.extend_from_slice(name);
            }
        }
        bytes.extend_from_slice(&self.port.to_be_bytes());
        Say::Send {
            bytes,
            shown: vec![format!(
                "SOCKS5 CONNECT {}:{} (the proxy resolves the name)",
                self.host, self.port
            )],
        }
    }
}

impl Dialogue for Socks5 {
    fn next(&mut self, input: &mut Vec<u8>, heard: &mut Vec<String>) -> Say {
        match self.state {
            SocksState::Start => {
                self.state = SocksState::Method;
                let (bytes, shown) = if self.auth.is_some() {
                    (
                        vec![5, 2, 0, 2],
                        "SOCKS5 hello: methods no-auth, user/password",
                    )
                } else {
                    (vec![5, 1, 0], "SOCKS5 hello: method no-auth")
                };
                Say::Send {
                    bytes,
                    shown: vec![shown.into()],
                }
            }
            SocksState::Method => {
                if input.len() < 2 {
                    return Say::More;
                }
                let reply: Vec<u8> = input.drain(..2).collect();
                heard.push(format!(
                    "SOCKS5 method reply: version {}, method {}",
                    reply[0], reply[1]
                ));
                if reply[0] != 5 {
                    return Say::Refused(format!(
                        "the proxy is not a SOCKS5 proxy (it answered version {})",
                        reply[0]
                    ));
                }
                match (reply[1], &self.auth) {
                    (0, _) => {
                        self.state = SocksState::Connect;
                        self.connect_request()
                    }
                    (2, Some((user, pass))) => {
                        self.state = SocksState::Auth;
                        let mut bytes = vec![1, user.len() as u8];
                        bytes.extend_from_slice(user.as_bytes());
                        bytes.push(pass.len() as u8);
                        bytes.extend_from_slice(pass.as_bytes());
                        Say::Send {
                            bytes,
                            shown: vec![format!("SOCKS5 user/password: {user} (password hidden)")],
                        }
                    }
                    (0xff, _) => Say::Refused(
                        "the SOCKS5 proxy refused: no acceptable authentication method (0xff)"
                            .into(),
                    ),
                    (m, _) => Say::Refused(format!(
                        "the SOCKS5 proxy chose authentication method {m}, which we did not offer"
                    )),
                }
            }
            SocksState::Auth => {
                if input.len() < 2 {
                    return Say::More;
                }
                let reply: Vec<u8> = input.drain(..2).collect();
                heard.push(format!("SOCKS5 auth reply: status {}", reply[1]));
                if reply[1] != 0 {
                    return Say::Refused(format!(
                        "the SOCKS5 proxy refused our user name and password (status {})",
                        reply[1]
                    ));
                }
                self.state = SocksState::Connect;
                self.connect_request()
            }
            SocksState::Connect => {
                if input.len() < 5 {
                    return Say::More;
                }
                let addr_len = match input[3] {
                    1 => 4,
                    4 => 16,
                    3 => 1 + usize::from(input[4]),
                    other => {
                        return Say::Refused(format!(
                            "the SOCKS5 proxy answered with address type {other}"
                        ))
                    }
                };
                let total = 4 + addr_len + 2;
                if input.len() < total {
                    return Say::More;
                }
                let reply: Vec<u8> = input.drain(..total).collect();
                let code = reply[1];
                heard.push(format!(
                    "SOCKS5 reply: {code} ({})",
                    if code == 0 {
                        "succeeded"
                    } else {
                        socks_reply(code)
                    }
                ));
                if code == 0 {
                    Say::GoAhead
                } else {
                    Say::Refused(format!(
                        "the SOCKS5 proxy refused CONNECT: error {code} ({})",
                        socks_reply(code)
                    ))
                }
            }
        }
    }
}
