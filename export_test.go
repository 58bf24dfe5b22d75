package luciapg

import "github.com/luciapg/luciapg/internal/migrate"

// MigrationLockKey lets tests hold the lock Migrate waits for.
const MigrationLockKey = migrate.LockKey
