//! A native client for fail2ban's unix socket: a request is a pickled list of strings followed
//! by `<F2B_END_COMMAND>`; the reply is a pickled `(code, payload)` followed by the same marker
//! (code 0: success). One connection is reused for many requests, each with a timeout; a
//! broken connection is opened again once before giving up.

use serde_pickle::{DeOptions, SerOptions, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

/// Ends every request and reply.
const END: &[u8] = b"<F2B_END_COMMAND>";
/// The largest reply bantop accepts (a ban list of a large jail fits many times over).
const MAX_REPLY: usize = 64 * 1024 * 1024;

/// Talking to fail2ban failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No socket: fail2ban is not running (or not there).
    #[error("fail2ban is not running: no socket at {}", path.display())]
    NotRunning {
        /// The socket path.
        path: PathBuf,
    },
    /// Not allowed to use the socket.
    #[error("no permission to use {} (fail2ban's socket is root's: run bantop as root)", path.display())]
    NotPermitted {
        /// The socket path.
        path: PathBuf,
    },
    /// Any other I/O failure.
    #[error("fail2ban's socket {}: {source}", path.display())]
    Io {
        /// The socket path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No reply in time.
    #[error("fail2ban did not answer `{command}` within {seconds} s")]
    Timeout {
        /// The request.
        command: String,
        /// The timeout.
        seconds: u64,
    },
    /// The reply is not what a fail2ban server sends.
    #[error("unexpected reply to `{command}`: {message}")]
    Protocol {
        /// The request.
        command: String,
        /// What is wrong with it.
        message: String,
    },
    /// fail2ban took the command, but its state afterwards is not what was asked.
    #[error("fail2ban took the command, but {what}")]
    Unconfirmed {
        /// What fail2ban shows instead.
        what: String,
    },
    /// fail2ban refused the command.
    #[error("fail2ban refused `{command}`: {message}")]
    Refused {
        /// The request.
        command: String,
        /// What it said.
        message: String,
    },
}

/// A connection to one fail2ban server.
#[derive(Debug)]
pub struct Client {
    path: PathBuf,
    timeout: Duration,
    stream: Option<UnixStream>,
}

impl Client {
    /// A client for the socket at `path`; it connects on the first request.
    pub fn new(path: &Path, timeout: Duration) -> Self {
        Client {
            path: path.to_path_buf(),
            timeout,
            stream: None,
        }
    }

    /// The socket path.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Sends `command` and returns the payload of a successful reply, normalised (see
    /// [`normalise`]).
    pub async fn send(&mut self, command: &[&str]) -> Result<Value, ClientError> {
        let text = command.join(" ");
        let request = encode(command).map_err(|message| ClientError::Protocol {
            command: text.clone(),
            message,
        })?;
        let reused = self.stream.is_some();
        let reply = match self.exchange(&request, &text).await {
            // The server may have been restarted since the last request: try once, anew.
            Err(ClientError::Io { .. } | ClientError::NotRunning { .. }) if reused => {
                self.exchange(&request, &text).await?
            }
            other => other?,
        };
        decode(&reply, &text)
    }

    async fn exchange(&mut self, request: &[u8], text: &str) -> Result<Vec<u8>, ClientError> {
        let timeout = self.timeout;
        let result = tokio::time::timeout(timeout, self.round_trip(request)).await;
        match result {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(error)) => {
                self.stream = None;
                Err(error)
            }
            Err(_) => {
                self.stream = None;
                Err(ClientError::Timeout {
                    command: text.to_string(),
                    seconds: timeout.as_secs(),
                })
            }
        }
    }

    async fn round_trip(&mut self, request: &[u8]) -> Result<Vec<u8>, ClientError> {
        let path = self.path.clone();
        let io_error = |source: std::io::Error| match source.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => {
                ClientError::NotRunning { path: path.clone() }
            }
            std::io::ErrorKind::PermissionDenied => {
                ClientError::NotPermitted { path: path.clone() }
            }
            _ => ClientError::Io {
                path: path.clone(),
                source,
            },
        };
        if self.stream.is_none() {
            self.stream = Some(connect(&self.path).await.map_err(io_error)?);
        }
        let Some(stream) = self.stream.as_mut() else {
            return Err(ClientError::NotRunning { path });
        };
        stream.write_all(request).await.map_err(io_error)?;
        let mut reply = Vec::new();
        let mut chunk = [0u8; 8192];
        while !reply.ends_with(END) {
            let read = stream.read(&mut chunk).await.map_err(io_error)?;
            if read == 0 {
                return Err(ClientError::Io {
                    path,
                    source: std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the server closed the connection",
                    ),
                });
            }
            reply.extend_from_slice(&chunk[..read]);
            if reply.len() > MAX_REPLY {
                return Err(ClientError::Io {
                    path,
                    source: std::io::Error::other("reply larger than 64 MiB"),
                });
            }
        }
        reply.truncate(reply.len() - END.len());
        Ok(reply)
    }
}

fn encode(command: &[&str]) -> Result<Vec<u8>, String> {
    let mut bytes = serde_pickle::to_vec(&command, SerOptions::new()).map_err(|e| e.to_string())?;
    bytes.extend_from_slice(END);
    Ok(bytes)
}

fn decode(reply: &[u8], command: &str) -> Result<Value, ClientError> {
    let protocol = |message: String| ClientError::Protocol {
        command: command.to_string(),
        message,
    };
    let value = serde_pickle::value_from_slice(reply, DeOptions::new().keep_restore_state())
        .map_err(|e| protocol(format!("not a pickle: {e}")))?;
    let Value::Tuple(mut parts) = value else {
        return Err(protocol("not a (code, payload) pair".to_string()));
    };
    if parts.len() != 2 {
        return Err(protocol(format!(
            "a tuple of {} items, not (code, payload)",
            parts.len()
        )));
    }
    let payload = normalise(parts.pop().unwrap_or(Value::None));
    match parts.pop() {
        Some(Value::I64(0)) => Ok(payload),
        Some(Value::I64(_)) => Err(ClientError::Refused {
            command: command.to_string(),
            message: text_of(&payload),
        }),
        _ => Err(protocol("the code is not a number".to_string())),
    }
}

/// Replaces `str(...)` objects (which arrive as 1-tuples holding a string) by the string, at
/// any depth.
pub(super) fn normalise(value: Value) -> Value {
    match value {
        Value::Tuple(items) if items.len() == 1 && matches!(items[0], Value::String(_)) => {
            items.into_iter().next().unwrap_or(Value::None)
        }
        Value::Tuple(items) => Value::Tuple(items.into_iter().map(normalise).collect()),
        Value::List(items) => Value::List(items.into_iter().map(normalise).collect()),
        Value::Dict(map) => Value::Dict(map.into_iter().map(|(k, v)| (k, normalise(v))).collect()),
        other => other,
    }
}

/// A value as plain text (strings as they are, lists joined with spaces).
pub(super) fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::I64(n) => n.to_string(),
        Value::List(items) | Value::Tuple(items) => {
            items.iter().map(text_of).collect::<Vec<_>>().join(" ")
        }
        Value::None => String::new(),
        other => format!("{other:?}"),
    }
}

/// Looks up `key` in fail2ban's `[(key, value), ...]` status lists.
pub(super) fn field<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    let (Value::List(items) | Value::Tuple(items)) = value else {
        return None;
    };
    items.iter().find_map(|item| match item {
        Value::Tuple(pair) if pair.len() == 2 && pair[0] == Value::String(key.to_string()) => {
            Some(&pair[1])
        }
        _ => None,
    })
}

/// Strings of a list value.
pub(super) fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::List(items) | Value::Tuple(items) => items.iter().map(text_of).collect(),
        Value::String(text) => vec![text.clone()],
        _ => Vec::new(),
    }
}

/// Connects to the socket, waiting while its backlog is full: fail2ban accepts one client at a
/// time from a short queue, and a connect to a full queue fails at once with `EAGAIN`. Tens of
/// operators' commands at once wait their turn instead of failing.
async fn connect(path: &std::path::Path) -> std::io::Result<UnixStream> {
    let mut delay = std::time::Duration::from_millis(5);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match UnixStream::connect(path).await {
            Err(error)
                if error.kind() == std::io::ErrorKind::WouldBlock
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(std::time::Duration::from_millis(200));
            }
            result => return result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys of a dict value, as text.
    fn dict_entries(value: &Value) -> Vec<(String, &Value)> {
        match value {
            Value::Dict(map) => map
                .iter()
                .map(|(key, value)| {
                    let key = match key {
                        serde_pickle::HashableValue::String(text) => text.clone(),
                        other => format!("{other:?}"),
                    };
                    (key, value)
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The reply of a real fail2ban 1.0.2 to `banned`, captured from its socket.
    const BANNED: &[u8] = b"\x80\x05\x95X\x00\x00\x00\x00\x00\x00\x00K\x00]\x94}\x94\x8c\rasterisk-wazo\x94]\x94(\x8c\x08builtins\x94\x8c\x03str\x94\x93\x94\x8c\x0b203.0.113.5\x94\x85\x94R\x94h\x06\x8c\x0b2001:db8::5\x94\x85\x94R\x94esa\x86\x94.";
    /// Its reply to `set nojail banip 1.2.3.4`.
    const UNKNOWN_JAIL: &[u8] = b"\x80\x05\x95A\x00\x00\x00\x00\x00\x00\x00K\x01\x8c\x13fail2ban.exceptions\x94\x8c\x14UnknownJailException\x94\x93\x94\x8c\x06nojail\x94\x85\x94R\x94\x86\x94.";

    #[test]
    fn decodes_addresses_as_strings() {
        let value = decode(BANNED, "banned").unwrap_or(Value::None);
        let Value::List(jails) = value else {
            panic!("not a list: {value:?}")
        };
        let entries = dict_entries(&jails[0]);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].0, "asterisk-wazo");
        assert_eq!(strings(entries[0].1), vec!["203.0.113.5", "2001:db8::5"]);
    }

    #[test]
    fn errors_and_garbage_are_told_apart() {
        let refused = decode(UNKNOWN_JAIL, "set nojail banip 1.2.3.4")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            refused.as_deref(),
            Some("fail2ban refused `set nojail banip 1.2.3.4`: nojail")
        );
        assert!(matches!(
            decode(b"garbage", "ping"),
            Err(ClientError::Protocol { .. })
        ));
        let not_a_pair =
            serde_pickle::to_vec(&vec![1, 2, 3], SerOptions::new()).unwrap_or_default();
        assert!(matches!(
            decode(&not_a_pair, "ping"),
            Err(ClientError::Protocol { .. })
        ));
    }

    #[test]
    fn requests_end_with_the_marker() {
        let request = encode(&["status", "sshd"]).unwrap_or_default();
        assert!(request.ends_with(END));
        let list: Vec<String> =
            serde_pickle::from_slice(&request[..request.len() - END.len()], DeOptions::new())
                .unwrap_or_default();
        assert_eq!(list, ["status", "sshd"]);
    }
}
