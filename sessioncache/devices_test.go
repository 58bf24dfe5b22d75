package sessioncache_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
	"github.com/luciapg/luciapg/memadapter"
	"github.com/luciapg/luciapg/sessioncache"
)

// A cache over an adapter that keeps no session metadata, audit log or
// email changes is still each of those adapters (its type cannot tell),
// but every such call fails with errors.ErrUnsupported, in one line that
// names the missing interface, and reaches nothing.
func TestCacheOverAdapterWithoutDevicesAuditOrEmailChanges(t *testing.T) {
	t.Parallel()
	mem := memadapter.New(suiteColumns...)
	plain := struct {
		luciapg.Adapter
		luciapg.AttemptThrottle
	}{mem, mem}
	cache, err := sessioncache.New(t.Context(), plain, sessioncache.Config{ConnString: testdb.NewURL(t), MaxLag: testMaxLag})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cache.Close() })
	ctx := t.Context()
	if _, err := mem.SetUser(ctx, luciapg.User{ID: "u1"}, nil); err != nil {
		t.Fatal(err)
	}
	session := luciapg.Session{ID: "s", UserID: "u1", ActiveExpires: time.Now().Add(time.Hour).UnixMilli(), IdleExpires: time.Now().Add(2 * time.Hour).UnixMilli()}
	if err := mem.SetSession(ctx, session); err != nil {
		t.Fatal(err)
	}
	type call struct {
		iface string
		err   error
	}
	calls := map[string]call{
		"DeleteUserSession":  {"DeviceAdapter", cache.DeleteUserSession(ctx, "u1", "s")},
		"RecordSessionsSeen": {"DeviceAdapter", cache.RecordSessionsSeen(ctx, []luciapg.SessionSeen{{SessionID: "s", At: time.Now()}})},
		"RecordAuditEvent":   {"AuditAdapter", cache.RecordAuditEvent(ctx, luciapg.AuditEvent{At: time.Now(), Kind: luciapg.AuditLogin, UserID: "u1"})},
		"SetEmailChange": {"EmailChangeAdapter", cache.SetEmailChange(ctx, luciapg.EmailChange{
			UserID: "u1", NewEmail: "new@example.com", TokenID: "t", Expires: time.Now().Add(time.Hour),
		})},
	}
	_, err = cache.DeleteOtherUserSessions(ctx, "u1", "")
	calls["DeleteOtherUserSessions"] = call{"DeviceAdapter", err}
	_, err = cache.GetUserSessionsMetadata(ctx, "u1")
	calls["GetUserSessionsMetadata"] = call{"DeviceAdapter", err}
	_, err = cache.ListAuditEvents(ctx, luciapg.AuditQuery{})
	calls["ListAuditEvents"] = call{"AuditAdapter", err}
	_, err = cache.HasSignedInFrom(ctx, "u1", "", "")
	calls["HasSignedInFrom"] = call{"AuditAdapter", err}
	_, err = cache.PurgeAuditEvents(ctx, time.Now(), 10)
	calls["PurgeAuditEvents"] = call{"AuditAdapter", err}
	_, err = cache.GetEmailChange(ctx, "u1", time.Now())
	calls["GetEmailChange"] = call{"EmailChangeAdapter", err}
	_, err = cache.ConsumeEmailChange(ctx, "u1", "t", time.Now())
	calls["ConsumeEmailChange"] = call{"EmailChangeAdapter", err}
	calls["DeleteEmailChange"] = call{"EmailChangeAdapter", cache.DeleteEmailChange(ctx, "u1")}
	_, err = cache.PurgeExpiredEmailChanges(ctx, time.Now())
	calls["PurgeExpiredEmailChanges"] = call{"EmailChangeAdapter", err}
	for name, c := range calls {
		if !errors.Is(c.err, errors.ErrUnsupported) || !strings.Contains(c.err.Error(), "luciapg."+c.iface) || strings.Contains(c.err.Error(), "\n") {
			t.Errorf("%s: %v; want one line wrapping errors.ErrUnsupported, naming luciapg.%s", name, c.err, c.iface)
		}
	}
	if _, err := mem.GetSession(ctx, "s"); err != nil {
		t.Fatalf("a refused revocation reached the adapter: %v", err)
	}
	if events, _ := mem.ListAuditEvents(ctx, luciapg.AuditQuery{}); len(events) != 0 {
		t.Fatalf("a refused RecordAuditEvent reached the adapter: %+v", events)
	}
	if _, err := mem.GetEmailChange(ctx, "u1", time.Now()); !errors.Is(err, luciapg.ErrEmailChangeNotFound) {
		t.Fatalf("a refused SetEmailChange reached the adapter: %v", err)
	}
}
