// Package memadapter is an in-memory luciapg.Adapter for applications' unit
// tests: the whole adapter contract (it passes the adaptertest suite)
// without a database.
//
// PostgreSQL gives auth_user the application's attribute columns; here they
// are declared when the adapter is made, with the constraints the suite and
// most applications need — a default, NOT NULL and UNIQUE:
//
//	adapter := memadapter.New(
//		memadapter.Column{Name: "username", Unique: true},
//		memadapter.Column{Name: "plan", NotNull: true, Default: "free"},
//		memadapter.Column{Name: "nickname"},
//	)
//
// As in PostgreSQL, an attribute that names no column, a NULL in a NOT NULL
// column and a duplicate in a UNIQUE one (NULLs never collide) are errors
// of the storage's own (ErrUnknownColumn, ErrNotNull, ErrUnique), not
// luciapg's known errors, and leave nothing behind. Sessions and keys must
// name an existing user (luciapg.ErrInvalidUserID otherwise), and deleting
// a user deletes its sessions and keys.
//
// It is a luciapg.FactorAdapter too, with the Store's semantics: deleting a
// user deletes its second factors, ceremonies, pending logins and
// sessions' factor records, and deleting a session, by whichever method,
// deletes its factor record. Times are kept to the microsecond, as
// PostgreSQL keeps them, and the storage's own timestamps (CreatedAt) come
// from the process's clock.
//
// It is a luciapg.DeviceAdapter, luciapg.AuditAdapter and
// luciapg.EmailChangeAdapter too, honouring what a context carries as the
// Store does: a session inserted with luciapg.WithSessionOrigin gets its
// metadata, and a write made with luciapg.WithAuditEvent appends the event
// under the same hold of the lock, only when the write succeeds. Deleting
// a session deletes its metadata; deleting a user deletes its pending
// email change and leaves its audit events.
//
// Values are stored as given (a Go string stays a string) and compared
// with reflect.DeepEqual for uniqueness. Every method is safe for
// concurrent use; one mutex serialises them, which is plenty for tests and
// not meant for production load.
package memadapter
