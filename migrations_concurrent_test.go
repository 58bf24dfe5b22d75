package luciapg_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/luciapg/luciapg"
	"github.com/luciapg/luciapg/internal/testdb"
)

// migrateChildEnv, when set to a database URL, turns the test binary into
// one of TestMigrateConcurrentProcesses's child processes.
const migrateChildEnv = "LUCIAPG_TEST_MIGRATE_CHILD_URL"

// ddlWitness records the tag of every DDL statement as it starts — even a
// CREATE ... IF NOT EXISTS that ends up doing nothing — so a migration run
// twice shows up twice.
const ddlWitness = `
CREATE TABLE ddl_witness (tag text NOT NULL);
CREATE FUNCTION witness_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO ddl_witness VALUES (tg_tag);
END $$;
CREATE EVENT TRIGGER witness_ddl ON ddl_command_start EXECUTE FUNCTION witness_ddl();`

// TestMigrateConcurrentProcesses starts 8 separate processes (this test
// binary, re-executed) that call Migrate at the same moment on one fresh
// database. All must succeed and every migration must run exactly once.
//
// The CREATE INDEX statements are the witness: luciapg's migrations use IF
// NOT EXISTS, so a second run would succeed quietly, but it would start its
// CREATE INDEX statements again, and the event trigger counts starts.
func TestMigrateConcurrentProcesses(t *testing.T) {
	if url := os.Getenv(migrateChildEnv); url != "" {
		migrateAsChild(t, url)
		return
	}
	t.Parallel()
	const processes = 8
	url := testdb.NewEmptyURL(t)
	ctx := callContext(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, ddlWitness); err != nil {
		t.Fatal(err)
	}

	children := make([]*migrateChild, processes)
	for i := range children {
		children[i] = startMigrateChild(t, url)
	}
	// Every child has started and is blocked on its stdin; closing the
	// pipes lets them all call Migrate at once.
	for _, c := range children {
		c.stdin.Close()
	}
	for i, c := range children {
		if err := c.cmd.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, c.output.String())
		}
	}
	if t.Failed() {
		return
	}

	wantVersions, wantIndexes := migrationFiles(t)
	rows, err := conn.Query(ctx, `SELECT version FROM `+luciapg.MigrationsTable+` ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(versions, ",") != strings.Join(wantVersions, ",") {
		t.Errorf("applied versions %v, want %v", versions, wantVersions)
	}
	var indexRuns int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM ddl_witness WHERE tag = 'CREATE INDEX'`).Scan(&indexRuns); err != nil {
		t.Fatal(err)
	}
	if indexRuns != wantIndexes {
		t.Errorf("CREATE INDEX ran %d times, want %d (each migration once)", indexRuns, wantIndexes)
	}
}

type migrateChild struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	output *readyWriter
}

// startMigrateChild starts this test binary as a child that calls Migrate
// on url once its stdin closes, and waits until it is ready.
func startMigrateChild(t *testing.T, url string) *migrateChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMigrateConcurrentProcesses$", "-test.count=1")
	cmd.Env = append(os.Environ(), migrateChildEnv+"="+url)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	output := &readyWriter{ready: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = output, output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	select {
	case <-output.ready:
	case <-time.After(reliabilityTimeout):
		t.Fatalf("child process never became ready:\n%s", output.String())
	}
	return &migrateChild{cmd: cmd, stdin: stdin, output: output}
}

// migrateAsChild is the child's side: report readiness, wait for the
// parent to close stdin, then migrate. A failure exits non-zero.
func migrateAsChild(t *testing.T, url string) {
	os.Stdout.WriteString("ready\n")
	if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := luciapg.MigrateConnString(ctx, url); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
}

// migrationFiles returns the versions of luciapg's migrations and the
// number of CREATE INDEX statements in their up sections.
func migrationFiles(t *testing.T) (versions []string, createIndexes int) {
	t.Helper()
	files, err := fs.Glob(luciapg.MigrationsFS(), "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	createIndex := regexp.MustCompile(`(?im)^\s*CREATE\s+(UNIQUE\s+)?INDEX`)
	for _, name := range files {
		b, err := fs.ReadFile(luciapg.MigrationsFS(), name)
		if err != nil {
			t.Fatal(err)
		}
		up, _, _ := strings.Cut(string(b), "-- migrate:down")
		createIndexes += len(createIndex.FindAllString(up, -1))
		version, _, _ := strings.Cut(name, "_")
		versions = append(versions, version)
	}
	if createIndexes == 0 {
		t.Fatal("no CREATE INDEX in the migrations: the witness needs a new statement to count")
	}
	return versions, createIndexes
}

// readyWriter collects a child's output and signals when it has printed
// its "ready" line.
type readyWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if bytes.Contains(w.buf.Bytes(), []byte("ready\n")) {
		w.once.Do(func() { close(w.ready) })
	}
	return n, err
}

func (w *readyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestMigrateHonoursContext: Migrate waiting for another process's
// migration lock gives up when its context ends, with the context's error,
// and migrates once the lock is free.
func TestMigrateHonoursContext(t *testing.T) {
	t.Parallel()
	url := testdb.NewEmptyURL(t)
	ctx := callContext(t)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := luciapg.MigrateConnString(cancelled, url); !errors.Is(err, context.Canceled) {
		t.Fatalf("Migrate with a cancelled context: got %v, want context.Canceled", err)
	}

	holder, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(context.Background())
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock($1)`, luciapg.MigrationLockKey); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := luciapg.MigrateConnString(short, url); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Migrate while the lock is held: got %v, want context.DeadlineExceeded", err)
	}
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_unlock($1)`, luciapg.MigrationLockKey); err != nil {
		t.Fatal(err)
	}
	if _, err := luciapg.MigrateConnString(ctx, url); err != nil {
		t.Fatalf("Migrate once the lock is free: %v", err)
	}
	var tables int
	if err := holder.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename IN ('auth_user', 'auth_session', 'auth_key')`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 3 {
		t.Errorf("%d auth tables after Migrate, want 3", tables)
	}
}

// TestMigrateFSTransactionFalseConcurrently: a transaction:false migration
// (CREATE INDEX CONCURRENTLY, which refuses a transaction) between two
// ordinary ones, with four calls at once: all succeed, each migration runs
// once, in order, and the index is valid.
func TestMigrateFSTransactionFalseConcurrently(t *testing.T) {
	t.Parallel()
	url := testdb.NewEmptyURL(t)
	ctx := callContext(t)
	migrations := fstest.MapFS{
		"1_table.sql":  {Data: []byte("-- migrate:up\nCREATE TABLE things (id int, name text);\nINSERT INTO runs VALUES ('1');\n-- migrate:down\n")},
		"2_index.sql":  {Data: []byte("-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY things_name_idx ON things (name);\n-- migrate:down\n")},
		"3_column.sql": {Data: []byte("-- migrate:up\nALTER TABLE things ADD COLUMN created_at timestamptz;\nINSERT INTO runs VALUES ('3');\n-- migrate:down\n")},
	}
	conn := connect(t, url)
	if _, err := conn.Exec(ctx, "CREATE TABLE runs (version text)"); err != nil {
		t.Fatal(err)
	}
	const calls = 4
	errs := make(chan error, calls)
	for range calls {
		go func() {
			errs <- migrateErr(migrateFS(ctx, url, migrations, "app_schema_migrations"))
		}()
	}
	for range calls {
		if err := <-errs; err != nil {
			t.Errorf("MigrateFS: %v", err)
		}
	}
	if got := recordedVersions(t, url, "app_schema_migrations"); strings.Join(got, ",") != "1,2,3" {
		t.Errorf("recorded %v, want 1,2,3", got)
	}
	var runs string
	if err := conn.QueryRow(ctx, "SELECT string_agg(version, ',' ORDER BY version) FROM runs").Scan(&runs); err != nil {
		t.Fatal(err)
	}
	if runs != "1,3" {
		t.Errorf("transactional migrations ran %q, want each once (1,3)", runs)
	}
	var valid bool
	if err := conn.QueryRow(ctx, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'things_name_idx'::regclass").Scan(&valid); err != nil || !valid {
		t.Errorf("things_name_idx valid = %v (%v), want a valid index built once", valid, err)
	}
}

// TestMigrationsRunWithTheSessionsLockTimeout: the short lock_timeout used
// while waiting for the migration lock does not reach the migrations; they
// run with the connection's own (here, from the connection string).
func TestMigrationsRunWithTheSessionsLockTimeout(t *testing.T) {
	t.Parallel()
	url := testdb.NewEmptyURL(t)
	check := func(want string) string {
		return "-- migrate:up\nDO $$ BEGIN IF current_setting('lock_timeout') <> '" + want +
			"' THEN RAISE EXCEPTION 'lock_timeout is %', current_setting('lock_timeout'); END IF; END $$;\n-- migrate:down\n"
	}
	migrations := fstest.MapFS{
		"1_in_transaction.sql": {Data: []byte(check("7s"))},
		"2_alone.sql":          {Data: []byte(strings.Replace(check("7s"), "migrate:up", "migrate:up transaction:false", 1))},
	}
	if _, err := migrateFS(callContext(t), testdb.WithQuery(mustParseURL(t, url), "lock_timeout", "7s"), migrations, "app_schema_migrations"); err != nil {
		t.Fatal(err)
	}
	if got := recordedVersions(t, url, "app_schema_migrations"); len(got) != 2 {
		t.Errorf("recorded %v, want both", got)
	}
}
