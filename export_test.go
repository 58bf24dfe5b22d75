package luciapg

// MigrationLockKey lets tests hold the lock Migrate waits for.
const MigrationLockKey = migrationLockKey
