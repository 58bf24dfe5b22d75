package auth

// The failures of the device list, revocation and audit log.
var (
	// ErrSessionNotFound: RevokeSession with a label that names none of the
	// user's live sessions (or, in a wrapped error that says so, two of
	// them).
	ErrSessionNotFound = &Error{code: "LUCIAPG_SESSION_NOT_FOUND"}
	// ErrDevicesUnavailable: the adapter keeps no session metadata (it is
	// no luciapg.DeviceAdapter).
	ErrDevicesUnavailable = &Error{code: "LUCIAPG_DEVICES_UNAVAILABLE"}
	// ErrAuditUnavailable: the adapter keeps no audit log (it is no
	// luciapg.AuditAdapter).
	ErrAuditUnavailable = &Error{code: "LUCIAPG_AUDIT_UNAVAILABLE"}
)
