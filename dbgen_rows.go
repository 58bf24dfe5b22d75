package luciapg

import "github.com/luciapg/luciapg/dbgen"

// The Store converts between sqlc's generated types and the public ones
// field by field, never with a struct conversion such as Session(row): a
// conversion ties the public type's fields, their order included, to what
// sqlc generates, so regenerating dbgen could change luciapg's API or stop
// it compiling. Here a renamed or retyped generated field fails to compile
// on its own line, and a reordered one changes nothing.

// sessionFromRow is the Session of an auth_session row.
func sessionFromRow(row dbgen.AuthSession) Session {
	return Session{
		ID:            row.ID,
		UserID:        row.UserID,
		ActiveExpires: row.ActiveExpires,
		IdleExpires:   row.IdleExpires,
	}
}

// insertSessionParams is the generated InsertSession's argument for session.
func insertSessionParams(session Session) dbgen.InsertSessionParams {
	return dbgen.InsertSessionParams{
		ID:            session.ID,
		UserID:        session.UserID,
		ActiveExpires: session.ActiveExpires,
		IdleExpires:   session.IdleExpires,
	}
}

// keyFromRow is the Key of an auth_key row.
func keyFromRow(row dbgen.AuthKey) Key {
	return Key{
		ID:             row.ID,
		UserID:         row.UserID,
		PrimaryKey:     row.PrimaryKey,
		HashedPassword: row.HashedPassword,
		Expires:        row.Expires,
	}
}

// insertKeyParams is the generated InsertKey's argument for key.
func insertKeyParams(key Key) dbgen.InsertKeyParams {
	return dbgen.InsertKeyParams{
		ID:             key.ID,
		UserID:         key.UserID,
		PrimaryKey:     key.PrimaryKey,
		HashedPassword: key.HashedPassword,
		Expires:        key.Expires,
	}
}
