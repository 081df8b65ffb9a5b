//! Minimal HTTP/1.1 framing for the load generator and the static answer: where a message's head ends, the
//! few headers that frame it (Content-Length, Transfer-Encoding: chunked, Connection), and where a chunked
//! body ends. Written for speed on keep-alive connections; anything it cannot frame is an error, never a guess.

/// How a message's head frames what follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    /// The status of an answer (0 for a request).
    pub status: u16,
    /// Bytes of the head, the blank line included.
    pub len: usize,
    pub content_length: Option<usize>,
    pub chunked: bool,
    /// The peer closes the connection after this message (`Connection: close`, or HTTP/1.0 without keep-alive).
    pub closes: bool,
}

/// Why bytes are not a message this framing understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FramingError {
    #[error("the status line is not `HTTP/1.x NNN ...`: {0:?}")]
    StatusLine(String),
    #[error("a Content-Length is not a number: {0:?}")]
    ContentLength(String),
    #[error("a chunk size is not hexadecimal: {0:?}")]
    ChunkSize(String),
}

/// The position just past `\r\n\r\n` in `bytes`, if the head is complete.
pub(crate) fn head_end(bytes: &[u8]) -> Option<usize> {
    bytes.windows(4).position(|w| w == b"\r\n\r\n").map(|at| at + 4)
}

/// Parses the head of an answer (`is_answer`) or of a request, once [`head_end`] found its end.
pub(crate) fn parse_head(bytes: &[u8], is_answer: bool) -> Result<Option<Head>, FramingError> {
    let Some(len) = head_end(bytes) else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&bytes[..len]);
    let mut lines = text.split("\r\n");
    let first = lines.next().unwrap_or_default();
    let (status, mut closes) = if is_answer {
        let status = first
            .strip_prefix("HTTP/1.")
            .and_then(|rest| rest.get(2..5))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| FramingError::StatusLine(first.chars().take(80).collect()))?;
        (status, first.starts_with("HTTP/1.0"))
    } else {
        (0, first.ends_with("HTTP/1.0"))
    };
    let mut head = Head {
        status,
        len,
        content_length: None,
        chunked: false,
        closes,
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            head.content_length = Some(
                value
                    .parse()
                    .map_err(|_| FramingError::ContentLength(value.to_owned()))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            head.chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            let value = value.to_ascii_lowercase();
            if value.contains("close") {
                closes = true;
            } else if value.contains("keep-alive") {
                closes = false;
            }
        }
    }
    head.closes = closes;
    Ok(Some(head))
}

/// Where a chunked body that starts at `bytes[0]` ends (past its last chunk and trailers), if it is complete.
pub(crate) fn chunked_end(bytes: &[u8]) -> Result<Option<usize>, FramingError> {
    let mut at = 0;
    loop {
        let Some(line) = bytes[at..].windows(2).position(|w| w == b"\r\n") else {
            return Ok(None);
        };
        let size_text = String::from_utf8_lossy(&bytes[at..at + line]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| FramingError::ChunkSize(size_text.chars().take(20).collect()))?;
        at += line + 2;
        if size == 0 {
            // Trailers (usually none), then the blank line.
            return Ok(if bytes[at..].starts_with(b"\r\n") {
                Some(at + 2)
            } else {
                head_end(&bytes[at..]).map(|end| at + end)
            });
        }
        if bytes.len() < at + size + 2 {
            return Ok(None);
        }
        at += size + 2;
    }
}

/// Whether an answer with this status carries no body whatever its headers say (RFC 9110 §6.4.1).
pub(crate) fn has_no_body(status: u16) -> bool {
    (100..200).contains(&status) || status == 204 || status == 304
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_head_gives_status_length_and_keep_alive() {
        let bytes = b"HTTP/1.1 200 OK\r\ncontent-length: 12\r\nKSN-Cache: hit\r\n\r\n{\"a\":\"body\"}";
        let head = parse_head(bytes, true).unwrap().unwrap();
        assert_eq!(head.status, 200);
        assert_eq!(head.content_length, Some(12));
        assert_eq!(&bytes[head.len..], b"{\"a\":\"body\"}");
        assert!(!head.closes && !head.chunked);
        let closing = parse_head(b"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n", true);
        assert!(closing.unwrap().unwrap().closes);
        assert!(
            parse_head(b"HTTP/1.0 200 OK\r\n\r\n", true)
                .unwrap()
                .unwrap()
                .closes
        );
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\n", true), Ok(None));
    }

    #[test]
    fn bad_heads_are_errors() {
        assert!(matches!(
            parse_head(b"SSH-2.0-x\r\n\r\n", true),
            Err(FramingError::StatusLine(_))
        ));
        assert!(matches!(
            parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", true),
            Err(FramingError::ContentLength(_))
        ));
    }

    #[test]
    fn a_chunked_body_ends_after_its_last_chunk() {
        let body = b"5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\nNEXT";
        assert_eq!(chunked_end(body), Ok(Some(body.len() - 4)));
        assert_eq!(chunked_end(&body[..10]), Ok(None));
        assert_eq!(chunked_end(b"0\r\nTrailer: x\r\n\r\n"), Ok(Some(17)));
        assert!(chunked_end(b"zz\r\n").is_err());
    }

    #[test]
    fn a_request_head_gives_its_body_length() {
        let head = parse_head(
            b"POST /v1/reputation/batch HTTP/1.1\r\nContent-Length: 30\r\n\r\n",
            false,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (head.status, head.content_length, head.closes),
            (0, Some(30), false)
        );
    }
}
