package main

import (
	"strings"
	"testing"
	"time"

	"github.com/luciapg/luciapg/internal/testdb"
)

// A bad --attr is refused in the CLI's words, in one line saying which
// --attr is wrong and what is expected, never with its VALUE: a form
// without "=" or NAME is a usage error (exit 2); a column auth_user lacks,
// or a VALUE its column's type refuses, fails (exit 1) naming the column
// and its type, with an example.
func TestAttrErrorsInTheCLIsWords(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	if _, err := testdb.Pool(t, url, 1).Exec(t.Context(), `ALTER TABLE auth_user
ADD COLUMN age INT, ADD COLUMN active BOOLEAN, ADD COLUMN code VARCHAR(3), ADD COLUMN data JSON`); err != nil {
		t.Fatal(err)
	}
	const secret = "s3cr3t" // in every VALUE: no message may repeat it
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"users", "create", "--attr", "nickname" + secret}, exitUsage,
			`--attr has no "=": want --attr NAME=VALUE, such as --attr nickname=Al (run 'luciapg help users create' for usage)`},
		{[]string{"users", "list", "--attr", "age=1", "--attr", secret}, exitUsage, `the 2nd --attr has no "=": want --attr NAME=VALUE`},
		{[]string{"users", "create", "--attr", "=" + secret}, exitUsage, `--attr has no NAME before "="`},
		{[]string{"users", "create", "--attr", "id=" + secret}, exitUsage, "--attr id=...: id is the user's id, not an attribute; give it with --id ID"},
		{[]string{"users", "create", "--attr", "age=1" + secret, "--attr", "age=2"}, exitUsage, "--attr age=... is given twice: give each column once"},
		{[]string{"users", "create", "--attr", "nick_name=" + secret}, exitFailure,
			`--attr nick_name=...: auth_user has no column "nick_name" (its columns: id, `},
		{[]string{"users", "list", "--attr", "Age=" + secret}, exitFailure, `auth_user has no column "Age" (its columns: id, `},
		{[]string{"users", "list", "--attr", "Age=1"}, exitFailure, `age, active, code, data); column names are case-sensitive: age`},
		{[]string{"users", "create", "--attr", "age=" + secret}, exitFailure,
			"--attr age=...: column age is of type integer, and the VALUE is not of that type (want --attr age=VALUE, such as --attr age=42)"},
		{[]string{"users", "create", "--attr", "username=a", "--attr", "age=99999999999"}, exitFailure,
			"--attr age=...: column age is of type integer, and the VALUE is out of its range"},
		{[]string{"users", "list", "--attr", "age=1", "--attr", "active=" + secret}, exitFailure,
			"--attr active=...: column active is of type boolean, and the VALUE is not of that type (want --attr active=VALUE, such as --attr active=true)"},
		{[]string{"users", "create", "--attr", "data={" + secret}, exitFailure, "--attr data=...: column data is of type json, and the VALUE is not of that type"},
		{[]string{"users", "list", "--attr", "data={}"}, exitFailure, `--attr data=...: column data is of type json, which has no "=" to compare it with a VALUE`},
		{[]string{"users", "create", "--attr", "age=1", "--attr", "code=" + secret}, exitFailure,
			"--attr age=..., --attr code=...: a VALUE is too long for its column: value too long for type character varying(3)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, url, time.Now(), "", tt.args...).wantCode(t, tt.code)
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q\nwant %q", r.stderr, tt.want)
			}
			if strings.Contains(r.stderr, secret) || strings.Contains(r.stderr, "SQLSTATE") || strings.Contains(r.stderr, "ERROR:") {
				t.Errorf("stderr repeats a VALUE or PostgreSQL's own message: %q", r.stderr)
			}
		})
	}
	// Good values of every type still work.
	runCLI(t, url, time.Now(), "", "users", "create", "--attr", "age=42", "--attr", "active=true", "--attr", "code=abc", "--attr", `data={"a":1}`).wantCode(t, exitOK)
	if ids, _ := listIDs(t, url, "--attr", "age=42", "--attr", "active=true"); len(ids) != 1 {
		t.Errorf("users list --attr age=42 --attr active=true = %v", ids)
	}
}

// A NOT NULL column without a default needs an --attr: users create says
// which.
func TestUsersCreateNamesAColumnThatNeedsAValue(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	if _, err := testdb.Pool(t, url, 1).Exec(t.Context(), `ALTER TABLE auth_user ADD COLUMN tier TEXT NOT NULL`); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, url, time.Now(), "", "users", "create").wantCode(t, exitFailure)
	if !strings.Contains(r.stderr, "auth_user's column tier needs a value (NOT NULL, no default): give it with --attr tier=VALUE") {
		t.Errorf("stderr %q", r.stderr)
	}
	runCLI(t, url, time.Now(), "", "users", "create", "--attr", "tier=pro").wantCode(t, exitOK)
}
