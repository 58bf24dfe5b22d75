package migrate

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
)

// migrationFile is one dbmate migration file, parsed.
type migrationFile struct {
	name    string // file name, for messages
	version string // the leading digits of the name, as dbmate records it
	up      string // the up section, from its "-- migrate:up" line to "-- migrate:down"
	// upLine is the line of the file up starts on, to turn an error's
	// position into a line of the file.
	upLine int
	// transaction is false when the up line says transaction:false: the
	// file is applied alone, outside a transaction.
	transaction bool
}

// dbmate's rules, so that the dbmate CLI and Migrate accept the same files:
// a migration is <digits><anything>.sql at the root of the file system,
// its version is the digits, and it holds one "-- migrate:up" section
// followed by one "-- migrate:down" section.
var (
	migrationFileName = regexp.MustCompile(`^(\d+).*\.sql$`)
	upDirective       = regexp.MustCompile(`(?m)^--\s*migrate:up(\s*$|\s+\S+)`)
	downDirective     = regexp.MustCompile(`(?m)^--\s*migrate:down(\s*$|\s+\S+)`)
	transactionFalse  = regexp.MustCompile(`(^|\s)transaction:false(\s|$)`)
)

// readMigrations reads and parses every migration in migrations, ordered
// by file name as dbmate orders them. Any file it cannot use is an error
// naming the file, before anything touches the database.
func readMigrations(migrations fs.FS) ([]migrationFile, error) {
	entries, err := fs.ReadDir(migrations, ".")
	if err != nil {
		return nil, fmt.Errorf("reading the migrations directory: %w", err)
	}
	var files []migrationFile
	byVersion := map[string]string{}
	for _, entry := range entries {
		match := migrationFileName.FindStringSubmatch(entry.Name())
		if entry.IsDir() || match == nil {
			continue
		}
		name, version := entry.Name(), match[1]
		if other, ok := byVersion[version]; ok {
			return nil, fmt.Errorf("%s and %s have the same version %s", other, name, version)
		}
		byVersion[version] = name
		content, err := fs.ReadFile(migrations, name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		file, err := parseMigration(name, version, string(content))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		files = append(files, file)
	}
	if len(files) == 0 {
		return nil, errors.New("no migration files (want <version>_<name>.sql at the root of the file system)")
	}
	return files, nil
}

// parseMigration splits a dbmate file into its up section and options.
func parseMigration(name, version, content string) (migrationFile, error) {
	ups := upDirective.FindAllStringIndex(content, -1)
	downs := downDirective.FindAllStringIndex(content, -1)
	switch {
	case len(ups) == 0:
		return migrationFile{}, errors.New("no '-- migrate:up' line")
	case len(ups) > 1:
		return migrationFile{}, errors.New("more than one '-- migrate:up' line")
	case len(downs) == 0:
		return migrationFile{}, errors.New("no '-- migrate:down' line (dbmate requires one, even if empty)")
	case len(downs) > 1:
		return migrationFile{}, errors.New("more than one '-- migrate:down' line")
	case downs[0][0] < ups[0][0]:
		return migrationFile{}, errors.New("'-- migrate:down' comes before '-- migrate:up'")
	}
	for _, line := range strings.Split(content[:ups[0][0]], "\n") {
		if trimmed := strings.TrimSpace(line); trimmed != "" && !strings.HasPrefix(trimmed, "--") {
			return migrationFile{}, errors.New("a statement before the '-- migrate:up' line")
		}
	}
	up := content[ups[0][0]:downs[0][0]]
	directive, _, _ := strings.Cut(up, "\n")
	return migrationFile{
		name:        name,
		version:     version,
		up:          up,
		upLine:      strings.Count(content[:ups[0][0]], "\n") + 1,
		transaction: !transactionFalse.MatchString(strings.TrimSpace(directive)),
	}, nil
}

// lineOf returns the line of the file at a 1-based character position in
// its up section, as PostgreSQL reports an error's position.
func (m migrationFile) lineOf(position int32) int {
	offset := len(m.up)
	chars := int32(0)
	for i := range m.up {
		chars++
		if chars == position {
			offset = i
			break
		}
	}
	return m.upLine + strings.Count(m.up[:offset], "\n")
}
