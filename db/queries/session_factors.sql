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
-- session deleted meanwhile fails the foreign key. The row's metadata
-- columns (migration 20261208000000), if any, stay as they are.
--
-- The user is locked first (FOR KEY SHARE, what the foreign key's check
-- takes anyway): the checks at the statement's end would lock the session,
-- then the user, the opposite order of a password reset that locks the
-- user, then deletes the sessions, and the two would deadlock.
WITH owner AS (
    SELECT u.id AS owner_id FROM auth_user AS u WHERE u.id = @user_id FOR KEY SHARE
)
INSERT INTO luciapg_session (session_id, user_id, factors, authenticated_at)
SELECT s.id, s.user_id, @factors::text[], @authenticated_at::timestamptz
FROM owner JOIN auth_session AS s ON s.user_id = owner.owner_id
WHERE s.id = @session_id
ON CONFLICT (session_id) DO UPDATE SET
    factors = excluded.factors,
    authenticated_at = excluded.authenticated_at;

-- name: GetSessionUserID :one
-- Read only after SetSessionFactors stored nothing, to say why.
SELECT user_id
FROM auth_session
WHERE id = $1;

-- name: InsertSessionFactors :exec
-- CompletePendingLogin's record of the session it has just inserted,
-- without an origin (with one, InsertSessionWithRecord writes both).
INSERT INTO luciapg_session (session_id, user_id, factors, authenticated_at)
VALUES (@session_id, @user_id, @factors, @authenticated_at);
