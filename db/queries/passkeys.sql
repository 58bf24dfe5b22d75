-- WebAuthn credentials (luciapg_passkey) and user handles
-- (luciapg_passkey_user) of luciapg.FactorAdapter.

-- name: InsertPasskey :exec
INSERT INTO luciapg_passkey (
    credential_id, user_id, name, public_key, attestation_type, transports,
    aaguid, sign_count, backup_eligible, backup_state
) VALUES (
    @credential_id, @user_id, @name, @public_key, @attestation_type, @transports,
    @aaguid, @sign_count, @backup_eligible, @backup_state
);

-- name: GetPasskey :one
SELECT credential_id, user_id, name, public_key, attestation_type, transports,
    aaguid, sign_count, backup_eligible, backup_state, created_at, last_used_at
FROM luciapg_passkey
WHERE credential_id = $1;

-- name: GetPasskeysByUserID :many
-- Oldest first, along luciapg_passkey_user_id_idx; the credential id breaks
-- ties.
SELECT credential_id, user_id, name, public_key, attestation_type, transports,
    aaguid, sign_count, backup_eligible, backup_state, created_at, last_used_at
FROM luciapg_passkey
WHERE user_id = $1
ORDER BY created_at, credential_id;

-- name: RenamePasskey :execrows
UPDATE luciapg_passkey
SET name = @name
WHERE credential_id = @credential_id AND user_id = @user_id;

-- name: DeletePasskey :execrows
DELETE FROM luciapg_passkey
WHERE credential_id = @credential_id AND user_id = @user_id;

-- name: UpdatePasskeyUse :execrows
-- Compare and set on the signature counter: of two concurrent uses that
-- read the same counter, the second finds it changed.
UPDATE luciapg_passkey
SET sign_count = @new_sign_count, backup_state = @backup_state, last_used_at = @used_at
WHERE credential_id = @credential_id AND sign_count = @old_sign_count;

-- name: PasskeyExists :one
-- Read only after UpdatePasskeyUse changed nothing: a concurrent use
-- (true) or no such passkey (false).
SELECT EXISTS (SELECT 1 FROM luciapg_passkey WHERE credential_id = $1);

-- name: PasskeyUserHandle :one
-- The user's handle, @candidate stored as it when the user has none. The
-- no-op update on a conflict returns the handle stored first, even one a
-- concurrent call committed after this statement began (where DO NOTHING
-- would return no row). A candidate taken by another user fails the
-- handle's unique constraint; an unknown user, the foreign key.
INSERT INTO luciapg_passkey_user AS h (user_id, handle)
VALUES (@user_id, @candidate)
ON CONFLICT (user_id) DO UPDATE SET handle = h.handle
RETURNING handle;

-- name: GetUserIDByPasskeyHandle :one
SELECT user_id
FROM luciapg_passkey_user
WHERE handle = $1;
