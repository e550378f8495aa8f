-- WebAuthn / passkeys as an additional second factor (beside TOTP, never instead of its
-- enrolment). Times are microseconds since the Unix epoch (UTC).

-- One row per registered passkey. `passkey` is the relying-party library's serialised
-- credential (public key, algorithm, flags); `sign_count` is the authenticator's signature
-- counter, which only moves forward (a counter that goes back is refused as a clone).
CREATE TABLE webauthn_credentials (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id BLOB NOT NULL UNIQUE,
    name TEXT NOT NULL,
    rp_id TEXT NOT NULL,
    passkey TEXT NOT NULL,
    sign_count INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials(user_id);

-- Ceremony state between the challenge and the browser's answer, kept server-side (never
-- in a cookie), keyed by the session (hash) and purpose, single use, short-lived.
CREATE TABLE webauthn_challenges (
    session_hash TEXT NOT NULL REFERENCES sessions(id_hash) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    rp_id TEXT NOT NULL,
    state TEXT NOT NULL,
    name TEXT,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (session_hash, purpose)
);
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges(expires_at);
