-- The authenticator app (luciapg_totp) and recovery codes
-- (luciapg_recovery_code) of luciapg.FactorAdapter, and what counts a
-- user's second factors. Every single-use or compare-and-set operation is
-- one statement, so that of concurrent callers exactly one wins.

-- name: GetTOTP :one
SELECT user_id, encryption_key_id, encrypted_secret, (confirmed_at IS NOT NULL)::boolean AS confirmed, last_step, created_at
FROM luciapg_totp
WHERE user_id = $1;

-- name: SetTOTP :execrows
-- Stores an unconfirmed enrolment, replacing an unconfirmed one; no row
-- when the user has a confirmed one. An unknown user fails the foreign key.
INSERT INTO luciapg_totp AS t (user_id, encryption_key_id, encrypted_secret)
VALUES (@user_id, @encryption_key_id, @encrypted_secret)
ON CONFLICT (user_id) DO UPDATE SET
    encryption_key_id = excluded.encryption_key_id,
    encrypted_secret = excluded.encrypted_secret,
    last_step = 0,
    created_at = excluded.created_at
WHERE t.confirmed_at IS NULL;

-- name: ConfirmTOTP :execrows
UPDATE luciapg_totp
SET confirmed_at = now(), last_step = @step
WHERE user_id = @user_id AND confirmed_at IS NULL;

-- name: UseTOTPStep :execrows
-- Accepts step only after the last accepted one: concurrent uses of one
-- step queue on the row, and the second finds last_step already there.
UPDATE luciapg_totp
SET last_step = @step
WHERE user_id = @user_id AND confirmed_at IS NOT NULL AND last_step < @step;

-- name: TOTPConfirmed :one
-- Read only after UseTOTPStep refused a step: a replay (true) or no
-- confirmed enrolment (false, or no row).
SELECT (confirmed_at IS NOT NULL)::boolean AS confirmed
FROM luciapg_totp
WHERE user_id = $1;

-- name: DeleteTOTP :execrows
DELETE FROM luciapg_totp
WHERE user_id = $1;

-- name: LockUserForFactors :one
-- Taken before replacing or deleting a user's second factors: two such
-- changes of one user queue here, so that each replaces the whole set.
-- NO KEY UPDATE leaves the foreign key checks of inserts (KEY SHARE) free.
SELECT id
FROM auth_user
WHERE id = $1
FOR NO KEY UPDATE;

-- name: DeleteRecoveryCodes :exec
DELETE FROM luciapg_recovery_code
WHERE user_id = $1;

-- name: InsertRecoveryCodes :exec
INSERT INTO luciapg_recovery_code (user_id, code_hash)
SELECT @user_id::text, unnest(@code_hashes::text[]);

-- name: UseRecoveryCode :execrows
UPDATE luciapg_recovery_code
SET used_at = now()
WHERE user_id = @user_id AND code_hash = @code_hash AND used_at IS NULL;

-- name: GetUserFactors :one
SELECT
    EXISTS (SELECT 1 FROM luciapg_totp AS t WHERE t.user_id = @user_id AND t.confirmed_at IS NOT NULL) AS totp,
    (SELECT count(*) FROM luciapg_passkey AS p WHERE p.user_id = @user_id) AS passkeys,
    (SELECT count(*) FROM luciapg_recovery_code AS r WHERE r.user_id = @user_id AND r.used_at IS NULL) AS recovery_codes;

-- name: DeleteSecondFactors :exec
-- Every second factor of the user, its ceremonies and pending logins, in
-- one statement; the sessions' factor records stay.
WITH deleted_totp AS (
    DELETE FROM luciapg_totp WHERE luciapg_totp.user_id = @user_id
), deleted_codes AS (
    DELETE FROM luciapg_recovery_code WHERE luciapg_recovery_code.user_id = @user_id
), deleted_passkeys AS (
    DELETE FROM luciapg_passkey WHERE luciapg_passkey.user_id = @user_id
), deleted_handle AS (
    DELETE FROM luciapg_passkey_user WHERE luciapg_passkey_user.user_id = @user_id
), deleted_challenges AS (
    DELETE FROM luciapg_webauthn_challenge WHERE luciapg_webauthn_challenge.user_id = @user_id
)
DELETE FROM luciapg_pending_login
WHERE luciapg_pending_login.user_id = @user_id;
