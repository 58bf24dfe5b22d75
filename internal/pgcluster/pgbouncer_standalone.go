package pgcluster

import "os"

// RunPgBouncer starts PgBouncer like StartPgBouncer, for a program rather
// than a test (the load generator, bench -parts pgbouncer): the caller
// stops it with Stop. It still exits with the calling process, whatever
// happens to it.
func RunPgBouncer(serverURL string, poolSize int) (*PgBouncer, error) {
	su, err := lookupServerUser()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "luciapg-pgbouncer-")
	if err == nil && su.cred != nil {
		err = os.Chown(dir, su.uid, su.gid)
	}
	if err != nil {
		return nil, err
	}
	b, err := startPgBouncer(su, dir, serverURL, poolSize)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return b, nil
}

// Stop stops a PgBouncer started by RunPgBouncer, waiting for it to exit,
// and removes its directory.
func (b *PgBouncer) Stop() {
	b.proc.stop()
	_ = os.RemoveAll(b.dir)
}
