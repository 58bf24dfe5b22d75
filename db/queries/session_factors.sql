-- Sessions' factor records (luciapg_session) of luciapg.FactorAdapter.

-- name: GetSessionFactors :one
-- The session's record, if any, and its user's second factors, in one
-- statement: a request checking a session's factors makes one round trip.
SELECT
    s.user_id,
    f.factors,
    f.authenticated_at,
    EXISTS (SELECT 1 FROM luciapg_totp AS t WHERE t.user_id = s.user_id AND t.confirmed_at IS NOT NULL) AS totp,
    (SELECT count(*) FROM luciapg_passkey AS p WHERE p.user_id = s.user_id) AS passkeys,
    (SELECT count(*) FROM luciapg_recovery_code AS r WHERE r.user_id = s.user_id AND r.used_at IS NULL) AS recovery_codes
FROM auth_session AS s
LEFT JOIN luciapg_session AS f ON f.session_id = s.id
WHERE s.id = @session_id;

-- name: SetSessionFactors :execrows
-- Stores or replaces the record of the session, only when @user_id is the
-- session's; no row otherwise (no such session, or another user's). A
-- session deleted meanwhile fails the foreign key.
INSERT INTO luciapg_session (session_id, user_id, factors, authenticated_at)
SELECT s.id, s.user_id, @factors::text[], @authenticated_at::timestamptz
FROM auth_session AS s
WHERE s.id = @session_id AND s.user_id = @user_id
ON CONFLICT (session_id) DO UPDATE SET
    factors = excluded.factors,
    authenticated_at = excluded.authenticated_at;

-- name: GetSessionUserID :one
-- Read only after SetSessionFactors stored nothing, to say why.
SELECT user_id
FROM auth_session
WHERE id = $1;

-- name: InsertSessionFactors :exec
-- CompletePendingLogin's record of the session it has just inserted.
INSERT INTO luciapg_session (session_id, user_id, factors, authenticated_at)
VALUES (@session_id, @user_id, @factors, @authenticated_at);
