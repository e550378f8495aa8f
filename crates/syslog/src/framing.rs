//! TCP framing (RFC 6587): octet counting (`MSG-LEN SP SYSLOG-MSG`, also RFC 5425 for TLS)
//! and non-transparent framing ended by LF, detected per message. Pure: bytes in, frames
//! out; the buffer never grows much past the maximum message size.

/// What the framer cut from the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// One complete message (without its length prefix or LF/CRLF trailer).
    Message(&'a [u8]),
    /// The first `max` bytes of a message longer than the maximum; the rest is skipped.
    TooLong(&'a [u8]),
    /// A line that starts with a digit but is not `MSG-LEN SP`: kept as it was.
    BadFrame(&'a [u8]),
    /// The stream ended inside an octet-counted frame.
    Truncated {
        /// What arrived.
        raw: &'a [u8],
        /// The announced length.
        expected: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a frame.
    Start,
    /// Inside an octet-counted frame of this length, whose bytes start at `pos`.
    Counted(usize),
    /// Discarding the rest of an over-long octet-counted frame.
    SkipCount(usize),
    /// Discarding the rest of an over-long line.
    SkipLine,
}

/// Longest MSG-LEN accepted (10 digits is already far past any maximum message size).
const MAX_LEN_DIGITS: usize = 10;

/// Splits a byte stream into syslog messages.
#[derive(Debug)]
pub struct Framer {
    buf: Vec<u8>,
    pos: usize,
    max: usize,
    state: State,
}

impl Framer {
    /// A framer for messages of at most `max` bytes.
    pub fn new(max: usize) -> Framer {
        Framer {
            buf: Vec::new(),
            pos: 0,
            max: max.max(1),
            state: State::Start,
        }
    }

    /// The buffer to append received bytes to. Call [`Framer::compact`] first so that
    /// consumed bytes do not accumulate.
    pub fn buffer_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Appends bytes (for tests and callers that read into their own buffer).
    pub fn push(&mut self, bytes: &[u8]) {
        self.compact();
        self.buf.extend_from_slice(bytes);
    }

    /// Drops the bytes already framed.
    pub fn compact(&mut self) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }

    /// Bytes buffered and not yet framed.
    pub fn pending(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn rest(&self) -> &[u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// The next complete frame, or `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Option<Frame<'_>> {
        loop {
            match self.state {
                State::SkipCount(left) => {
                    let n = left.min(self.pending());
                    self.pos += n;
                    if n < left {
                        self.state = State::SkipCount(left - n);
                        return None;
                    }
                    self.state = State::Start;
                }
                State::SkipLine => match self.rest().iter().position(|b| *b == b'\n') {
                    Some(i) => {
                        self.pos += i + 1;
                        self.state = State::Start;
                    }
                    None => {
                        self.pos = self.buf.len();
                        return None;
                    }
                },
                State::Counted(len) => {
                    let take = len.min(self.max);
                    if self.pending() < take {
                        return None;
                    }
                    let start = self.pos;
                    self.pos += take;
                    self.state = if take < len {
                        State::SkipCount(len - take)
                    } else {
                        State::Start
                    };
                    let bytes = self.buf.get(start..start + take).unwrap_or_default();
                    return Some(if take < len {
                        Frame::TooLong(bytes)
                    } else {
                        Frame::Message(bytes)
                    });
                }
                State::Start => {
                    // Separators some senders put between frames.
                    let skip = self
                        .rest()
                        .iter()
                        .take_while(|b| matches!(b, b'\n' | b'\r' | 0 | b' ' | b'\t'))
                        .count();
                    self.pos += skip;
                    let rest = self.rest();
                    match rest.first() {
                        None => return None,
                        Some(b'1'..=b'9') => {
                            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                            match rest.get(digits) {
                                None if digits <= MAX_LEN_DIGITS => return None,
                                Some(b' ') if digits <= MAX_LEN_DIGITS => {
                                    let len = rest.get(..digits).unwrap_or_default().iter().fold(
                                        0usize,
                                        |n, d| {
                                            n.saturating_mul(10)
                                                .saturating_add(usize::from(d - b'0'))
                                        },
                                    );
                                    self.pos += digits + 1;
                                    self.state = State::Counted(len);
                                }
                                _ => return self.line(true),
                            }
                        }
                        Some(_) => return self.line(false),
                    }
                }
            }
        }
    }

    /// A frame ended by LF (CR before it dropped). `bad` marks a line that looked like a
    /// length prefix but was not one.
    fn line(&mut self, bad: bool) -> Option<Frame<'_>> {
        let start = self.pos;
        match self.rest().iter().position(|b| *b == b'\n') {
            Some(i) if i <= self.max => {
                self.pos += i + 1;
                let mut line = self.buf.get(start..start + i).unwrap_or_default();
                if let [head @ .., b'\r'] = line {
                    line = head;
                }
                Some(if bad {
                    Frame::BadFrame(line)
                } else {
                    Frame::Message(line)
                })
            }
            None if self.pending() <= self.max => None,
            _ => {
                self.pos += self.max;
                self.state = State::SkipLine;
                Some(Frame::TooLong(
                    self.buf.get(start..start + self.max).unwrap_or_default(),
                ))
            }
        }
    }

    /// At the end of the stream: the last line without its LF (a complete message, RFC
    /// 6587 allows the trailer to be missing at close), or the truncated octet-counted
    /// frame. Call after [`Framer::next_frame`] returned `None`.
    pub fn finish(&mut self) -> Option<Frame<'_>> {
        let start = self.pos;
        let end = self.buf.len();
        self.pos = end;
        let state = std::mem::replace(&mut self.state, State::Start);
        let raw = self.buf.get(start..end).unwrap_or_default();
        match state {
            State::Counted(expected) => Some(Frame::Truncated { raw, expected }),
            State::SkipCount(_) | State::SkipLine => None,
            State::Start => {
                let raw = match raw {
                    [head @ .., b'\r'] => head,
                    r => r,
                };
                if raw.iter().all(|b| b.is_ascii_whitespace() || *b == 0) {
                    None
                } else if raw.first().is_some_and(u8::is_ascii_digit)
                    && raw.iter().all(u8::is_ascii_digit)
                {
                    // A length prefix cut off before its space.
                    Some(Frame::BadFrame(raw))
                } else {
                    Some(Frame::Message(raw))
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Eq)]
    enum F {
        M(Vec<u8>),
        Long(Vec<u8>),
        Bad(Vec<u8>),
        Trunc(Vec<u8>, usize),
    }

    fn own(f: Frame<'_>) -> F {
        match f {
            Frame::Message(b) => F::M(b.to_vec()),
            Frame::TooLong(b) => F::Long(b.to_vec()),
            Frame::BadFrame(b) => F::Bad(b.to_vec()),
            Frame::Truncated { raw, expected } => F::Trunc(raw.to_vec(), expected),
        }
    }

    /// Feeds `input` in chunks of `chunk` bytes and collects every frame, then finishes.
    fn frames(input: &[u8], chunk: usize, max: usize) -> Vec<F> {
        let mut fr = Framer::new(max);
        let mut out = Vec::new();
        for c in input.chunks(chunk.max(1)) {
            fr.push(c);
            while let Some(f) = fr.next_frame() {
                out.push(own(f));
            }
            assert!(fr.pending() <= max + chunk + 16, "buffer bounded");
        }
        if let Some(f) = fr.finish() {
            out.push(own(f));
        }
        out
    }

    fn m(s: &str) -> F {
        F::M(s.as_bytes().to_vec())
    }

    #[test]
    fn octet_counting_and_lf_mixed_in_any_chunking() {
        let input = b"5 <1>ab<2>cd\r\n3 <3>\n\n<4>ef\n3 <5";
        let want = vec![
            m("<1>ab"),
            m("<2>cd"),
            m("<3>"),
            m("<4>ef"),
            F::Trunc(b"<5".to_vec(), 3),
        ];
        for chunk in 1..input.len() + 1 {
            assert_eq!(frames(input, chunk, 100), want, "chunk {chunk}");
        }
    }

    #[test]
    fn last_line_without_lf_is_a_message() {
        assert_eq!(frames(b"<1>a\n<2>b", 3, 100), vec![m("<1>a"), m("<2>b")]);
    }

    #[test]
    fn too_long_messages_are_cut_and_skipped() {
        // Octet-counted: the first 4 bytes kept, the rest skipped, the next frame intact.
        for chunk in 1..12 {
            assert_eq!(
                frames(b"10 0123456789<1>x\n", chunk, 4),
                vec![F::Long(b"0123".to_vec()), m("<1>x")],
                "chunk {chunk}"
            );
            assert_eq!(
                frames(b"<1>456789\n<2>y\n", chunk, 4),
                vec![F::Long(b"<1>4".to_vec()), m("<2>y")],
                "chunk {chunk}"
            );
        }
        // A line of exactly the maximum is fine.
        assert_eq!(frames(b"<1>4\n", 2, 4), vec![m("<1>4")]);
    }

    #[test]
    fn digits_without_a_space_are_a_bad_frame() {
        assert_eq!(
            frames(b"12x <1>a\n<2>b\n", 4, 100),
            vec![F::Bad(b"12x <1>a".to_vec()), m("<2>b")]
        );
        assert_eq!(
            frames(b"123456789012 <1>a\n", 4, 100),
            vec![F::Bad(b"123456789012 <1>a".to_vec())]
        );
        assert_eq!(
            frames(b"<1>a\n123", 2, 100),
            vec![m("<1>a"), F::Bad(b"123".to_vec())]
        );
    }

    #[test]
    fn huge_announced_length_does_not_allocate() {
        let mut fr = Framer::new(8);
        fr.push(b"9999999999 abcdefghij");
        assert_eq!(fr.next_frame(), Some(Frame::TooLong(b"abcdefgh")));
        assert_eq!(fr.next_frame(), None);
        assert_eq!(fr.finish(), None);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_stays_bounded(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400),
            chunk in 1usize..50,
            max in 1usize..64,
        ) {
            let _ = frames(&bytes, chunk, max);
        }

        #[test]
        fn octet_counted_messages_round_trip(
            msgs in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 1..40), 0..8),
            chunk in 1usize..30,
        ) {
            let mut input = Vec::new();
            for msg in &msgs {
                input.extend_from_slice(format!("{} ", msg.len()).as_bytes());
                input.extend_from_slice(msg);
            }
            let got = frames(&input, chunk, 64);
            let want: Vec<F> = msgs.into_iter().map(F::M).collect();
            proptest::prop_assert_eq!(got, want);
        }
    }
}
