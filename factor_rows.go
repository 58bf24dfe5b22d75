package luciapg

import (
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/luciapg/luciapg/dbgen"
)

// Conversions between sqlc's rows of luciapg's second-factor tables and
// the public types, field by field as dbgen_rows.go explains.

// timestamptz is t as a timestamptz parameter, truncated to the
// microsecond, PostgreSQL's resolution, as it would be anyway.
func timestamptz(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t.Truncate(time.Microsecond), Valid: true}
}

// timeOf is a timestamptz column's time, the zero time for NULL.
func timeOf(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time
}

// textOrNull is s, or NULL for "".
func textOrNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// textOf is a nullable text column's value, "" for NULL.
func textOf(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func totpFromRow(row dbgen.GetTOTPRow) TOTP {
	return TOTP{
		UserID:          row.UserID,
		EncryptionKeyID: row.EncryptionKeyID,
		EncryptedSecret: row.EncryptedSecret,
		Confirmed:       row.Confirmed,
		LastStep:        row.LastStep,
		CreatedAt:       timeOf(row.CreatedAt),
	}
}

func passkeyFromRow(row dbgen.LuciapgPasskey) Passkey {
	transports := row.Transports
	if transports == nil {
		transports = []string{}
	}
	return Passkey{
		CredentialID:    row.CredentialID,
		UserID:          row.UserID,
		Name:            row.Name,
		PublicKey:       row.PublicKey,
		AttestationType: row.AttestationType,
		Transports:      transports,
		AAGUID:          row.Aaguid,
		// The table's CHECK keeps it within uint32.
		SignCount:      uint32(row.SignCount),
		BackupEligible: row.BackupEligible,
		BackupState:    row.BackupState,
		CreatedAt:      timeOf(row.CreatedAt),
		LastUsedAt:     timeOf(row.LastUsedAt),
	}
}

func insertPasskeyParams(p Passkey) dbgen.InsertPasskeyParams {
	// NOT NULL array: none is an empty one, never NULL (what pgx sends for
	// a nil slice).
	transports := p.Transports
	if transports == nil {
		transports = []string{}
	}
	var aaguid []byte
	if len(p.AAGUID) > 0 {
		aaguid = p.AAGUID
	}
	return dbgen.InsertPasskeyParams{
		CredentialID:    p.CredentialID,
		UserID:          p.UserID,
		Name:            p.Name,
		PublicKey:       p.PublicKey,
		AttestationType: p.AttestationType,
		Transports:      transports,
		Aaguid:          aaguid,
		SignCount:       int64(p.SignCount),
		BackupEligible:  p.BackupEligible,
		BackupState:     p.BackupState,
	}
}

func challengeFromRow(row dbgen.LuciapgWebauthnChallenge) Challenge {
	return Challenge{
		ID:      row.ID,
		UserID:  textOf(row.UserID),
		Purpose: row.Purpose,
		Data:    row.Data,
		Expires: timeOf(row.ExpiresAt),
	}
}

func pendingLoginFromRow(row dbgen.LuciapgPendingLogin) PendingLogin {
	return PendingLogin{
		ID:            row.ID,
		UserID:        row.UserID,
		ClientBinding: row.ClientBinding,
		Factors:       row.Factors,
		KeyID:         textOf(row.KeyID),
		KeyHashDigest: textOf(row.KeyHashDigest),
		Expires:       timeOf(row.ExpiresAt),
	}
}
