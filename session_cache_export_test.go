package luciapg

import "context"

// NewSessionCacheWithHooks is NewSessionCache with hooks into its
// sequence: afterNotification runs once a notification has been applied,
// beforeInsert between a Store read and the caching of its row,
// afterHeartbeat after each successful heartbeat check. Any may be nil.
func NewSessionCacheWithHooks(ctx context.Context, store *Store, cfg SessionCacheConfig, afterNotification func(payload string), beforeInsert, afterHeartbeat func()) (*SessionCache, error) {
	return newSessionCache(ctx, store, cfg, sessionCacheHooks{
		afterNotification: afterNotification,
		beforeInsert:      beforeInsert,
		afterHeartbeat:    afterHeartbeat,
	})
}
