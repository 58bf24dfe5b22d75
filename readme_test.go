package luciapg_test

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
)

// readmeFile is the README. With the pages of docs/ (docFiles), its code
// blocks are held to account: each one is an example test, a command CI
// runs (or a test runs), or output marked ```text.
const readmeFile = "README.md"

// docsGlob matches the pages of docs/, which follow the README's rules.
const docsGlob = "docs/*.md"

// docFiles returns the files whose code blocks these tests check: the
// README first, then every page of docs/.
func docFiles(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob(docsGlob)
	if err != nil {
		t.Fatalf("listing %s: %v", docsGlob, err)
	}
	if len(pages) == 0 {
		t.Fatalf("no file matches %s; the README links to the pages there", docsGlob)
	}
	return append([]string{readmeFile}, pages...)
}

// readmeBlock is one code block of the README or of a page of docs/.
type readmeBlock struct {
	file     string // the file it is in, slash-separated
	line     int    // the line of the opening fence (or first indented line), from 1
	lang     string // the fence's info string; "" when none
	indented bool   // an indented (4-space) block, which has no language
	text     string
	lead     string // the file's text between the previous block and this one
	heading  string // the last heading above it, as written ("### The admin CLI")
}

// where is the block's place, file:line, for messages.
func (b readmeBlock) where() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

// fenceLine matches a line that opens or closes a fenced code block.
var fenceLine = regexp.MustCompile("(?m)^```")

// readmeBlocks returns the README's code blocks, fenced and indented.
func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	return fileBlocks(t, readmeFile)
}

// docBlocks returns the code blocks of the README and of every page of
// docs/, file by file. Together they hold at least 10 blocks, as the
// README alone did before it was split.
func docBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	var blocks []readmeBlock
	for _, file := range docFiles(t) {
		blocks = append(blocks, fileBlocks(t, file)...)
	}
	if len(blocks) < 10 {
		t.Fatalf("found only %d code blocks in the README and docs/; the parser lost some", len(blocks))
	}
	return blocks
}

// fileBlocks returns one file's code blocks, fenced and indented. Every
// fence line of the file, counted apart from the parser, must open or
// close one of them.
func fileBlocks(t *testing.T, file string) []readmeBlock {
	t.Helper()
	data, err := os.ReadFile(filepath.FromSlash(file))
	if err != nil {
		t.Fatalf("reading %s: %v", file, err)
	}
	lines := strings.Split(string(data), "\n")
	var blocks []readmeBlock
	lastEnd := 0 // the line after the previous block, from 0
	heading := ""
	lead := func(i int) string { return strings.TrimSpace(strings.Join(lines[lastEnd:i], "\n")) }
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if strings.HasPrefix(line, "#") {
			heading = line
		}
		if strings.HasPrefix(line, "```") {
			b := readmeBlock{file: file, line: i + 1, lang: strings.TrimSpace(strings.TrimLeft(line, "`")), lead: lead(i), heading: heading}
			var body []string
			for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
				body = append(body, lines[i])
			}
			if i == len(lines) {
				t.Fatalf("%s: the code block is never closed", b.where())
			}
			b.text = strings.Join(body, "\n")
			blocks = append(blocks, b)
			lastEnd = i + 1
			continue
		}
		// An indented block starts after a blank line (list items continue
		// with two spaces, never four).
		if strings.HasPrefix(line, "    ") && strings.TrimSpace(line) != "" && i > 0 && strings.TrimSpace(lines[i-1]) == "" {
			b := readmeBlock{file: file, line: i + 1, indented: true, lead: lead(i), heading: heading}
			var body []string
			for ; i < len(lines) && (strings.HasPrefix(lines[i], "    ") || strings.TrimSpace(lines[i]) == ""); i++ {
				body = append(body, strings.TrimPrefix(lines[i], "    "))
			}
			b.text = strings.TrimSpace(strings.Join(body, "\n"))
			blocks = append(blocks, b)
			lastEnd = i
			i--
		}
	}
	fenced := 0
	for _, b := range blocks {
		if !b.indented {
			fenced++
		}
	}
	if fences := len(fenceLine.FindAllIndex(data, -1)); fences != 2*fenced {
		t.Fatalf("%s has %d fence lines but the parser found %d fenced blocks; it lost some", file, fences, fenced)
	}
	if file == readmeFile && len(blocks) < 5 {
		t.Fatalf("found only %d code blocks in the README; the parser lost some", len(blocks))
	}
	return blocks
}

// goTokens is src as Go tokens, comments included (trimmed), without the
// semicolons the scanner inserts at line ends: two pieces of code with
// the same tokens differ only in layout.
func goTokens(src []byte) []string {
	var s scanner.Scanner
	fset := token.NewFileSet()
	s.Init(fset.AddFile("", -1, len(src)), src, nil, scanner.ScanComments)
	var toks []string
	for {
		_, tok, lit := s.Scan()
		switch {
		case tok == token.EOF:
			return toks
		case tok == token.SEMICOLON && lit == "\n":
		case tok == token.COMMENT:
			toks = append(toks, "comment "+strings.Join(strings.Fields(lit), " "))
		default:
			toks = append(toks, tok.String()+" "+lit)
		}
	}
}

// exampleBody is the body of one Example function, as tokens.
type exampleBody struct {
	name   string // file: function
	tokens []string
	output string // what its // Output: comment says it prints; "" when none
}

// exampleBodies returns the body of every Example function in the
// repository's test files (every module: the README shows them all).
func exampleBodies(t *testing.T) []exampleBody {
	t.Helper()
	var bodies []exampleBody
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, path, src, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || fn.Body == nil || !strings.HasPrefix(fn.Name.Name, "Example") {
				continue
			}
			from, to := fset.Position(fn.Body.Lbrace).Offset+1, fset.Position(fn.Body.Rbrace).Offset
			bodies = append(bodies, exampleBody{name: path + ": " + fn.Name.Name, tokens: goTokens(src[from:to]), output: exampleOutput(src[from:to])})
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading the example tests: %v", err)
	}
	if len(bodies) < 10 {
		t.Fatalf("found only %d Example functions; the walk lost some", len(bodies))
	}
	return bodies
}

// exampleOutput returns the lines of an example body's // Output:
// comment, without the comment markers.
func exampleOutput(body []byte) string {
	_, after, ok := strings.Cut(string(body), "// Output:")
	if !ok {
		return ""
	}
	var out []string
	for i, line := range strings.Split(after, "\n") {
		line = strings.TrimSpace(line)
		if i == 0 {
			if line != "" { // // Output: text on the same line
				out = append(out, line)
			}
			continue
		}
		text, ok := strings.CutPrefix(line, "//")
		if !ok {
			break
		}
		out = append(out, strings.TrimPrefix(text, " "))
	}
	return strings.Join(out, "\n")
}

// TestREADMEGoBlocksAreExamples checks that every Go block in the README
// and in docs/ is an Example function's body, or a contiguous part of one,
// so that it compiles, runs under go test and (with // Output:) prints what
// it says. A Go block that stops before the example's // Output: may be
// followed, in the same file, by a sentence ending in "prints:" and a
// ```text block: that must be the example's output.
func TestREADMEGoBlocksAreExamples(t *testing.T) {
	bodies := exampleBodies(t)
	blocks := docBlocks(t)
	checked := map[string]int{}
	for i, b := range blocks {
		if b.lang != "go" {
			continue
		}
		checked[b.file]++
		want := goTokens([]byte(b.text))
		if len(want) == 0 {
			t.Errorf("%s: an empty Go block", b.where())
			continue
		}
		found := false
		for _, body := range bodies {
			if containsRun(body.tokens, want) {
				found = true
				t.Logf("%s is in %s", b.where(), body.name)
				if next := i + 1; next < len(blocks) && blocks[next].file == b.file && blocks[next].lang == "text" && strings.HasSuffix(blocks[next].lead, "prints:") {
					if got := strings.TrimSpace(blocks[next].text); got != body.output {
						t.Errorf("%s shows the output of %s as:\n%s\nits // Output: says:\n%s", blocks[next].where(), body.name, got, body.output)
					}
				}
				break
			}
		}
		if !found {
			t.Errorf("%s: this Go block is in no Example function's body (compared token by token, comments included); "+
				"make it an excerpt of an example test or add one", b.where())
		}
	}
	if checked[readmeFile] == 0 {
		t.Fatal("the README has no Go block; the parser lost them")
	}
}

// containsRun reports whether want occurs in have as a contiguous run.
func containsRun(have, want []string) bool {
	for i := 0; i+len(want) <= len(have); i++ {
		if slices.Equal(have[i:i+len(want)], want) {
			return true
		}
	}
	return false
}

// evidence is where CI runs, or a test exercises, a command of the README
// or docs/: a file and a string it must hold (so that the evidence cannot
// silently go).
type evidence struct {
	file, holds string
}

// readmeCommands maps each command the README or a page of docs/ shows to
// where CI runs it.
// .ci/run runs make lint (gofmt, vet, staticcheck, consumer-check,
// install-check, generate) and make test (every module's tests).
var readmeCommands = map[string][]evidence{
	// On a fresh machine.
	// make demo runs the quickstart, which make test runs, and whose output
	// TestREADMEDemoOutput compares with the README's.
	"make demo": {
		{"Makefile", "$(GO) run ./examples/quickstart"},
		{"examples/quickstart/main_test.go", "func TestQuickstartOnAFreshDatabase"},
		{"readme_test.go", "func TestREADMEDemoOutput"},
		// With Go alone: no server, no Docker, the embedded PostgreSQL.
		{".ci/embedded-fallback", "make --no-print-directory demo"},
	},
	"make test": {{".ci/run", "\nmake test\n"}},

	// Install and use: a throwaway module gets the library as a user would.
	"go get github.com/luciapg/luciapg": {{".ci/consumer-check", "go mod tidy"}, {"Makefile", "lint:"}},

	// The example web app.
	"make webapp": {{"Makefile", `-env DATABASE_URL -- "$(WEBAPP_BIN)" -addr 127.0.0.1:8080 -insecure-dev-cookies`},
		{"examples/webapp/cookies_test.go", "insecure-dev-cookies"}},
	"mkdir -p /tmp/webapp-shots": {{"examples/webapp/browser_test.go", "-artifacts -outputdir"}},
	"go test -run TestBrowserJourney -artifacts -outputdir /tmp/webapp-shots ./examples/webapp": {
		{"examples/webapp/webapp_browser_test.go", "func TestBrowserJourney"}},
	"ls /tmp/webapp-shots/_artifacts/*/": {{"examples/webapp/webapp_browser_test.go", `"01-signup"`},
		{"examples/webapp/webapp_browser_test.go", `"07-session-expired"`}},

	// The admin CLI: installed from a module proxy made of this tree.
	"go install github.com/luciapg/luciapg/cmd/luciapg@latest": {{".ci/install-check", "go install github.com/luciapg/luciapg/cmd/luciapg@"}},
}

// adminCLIEvidence covers the README's ```console block, the first in its
// section "### The admin CLI": TestREADMEAdminCLIExample runs each of its
// commands and compares its output. It reads that block alone, so no other
// ```console block may exist, in the README or in docs/.
var adminCLIEvidence = evidence{"cmd/luciapg/readme_example_test.go", "func TestREADMEAdminCLIExample"}

// adminCLIHeading is the heading whose first console block
// TestREADMEAdminCLIExample runs.
const adminCLIHeading = "### The admin CLI"

// commandLangs are the info strings of blocks of shell commands.
var commandLangs = []string{"sh", "shell", "bash", "console"}

// TestREADMECommandsRunInCI checks that every command in the shell blocks
// of the README and docs/ is one CI runs or a test runs (readmeCommands,
// the admin CLI's block; benchmark and fuzzing commands, which CI does not
// run, live in bench/results/README.md beside their results), and that
// every block is labelled: a block without a language, or indented, is an
// error (output is marked ```text).
func TestREADMECommandsRunInCI(t *testing.T) {
	seen := map[string]bool{}
	consoleBlocks := 0
	for _, b := range docBlocks(t) {
		switch {
		case b.indented:
			t.Errorf("%s: an indented code block; fence it with a language (```sh for commands, ```text for anything else)", b.where())
			continue
		case b.lang == "":
			t.Errorf("%s: a code block without a language; mark commands ```sh and output ```text", b.where())
			continue
		case !slices.Contains(commandLangs, b.lang):
			continue
		}
		if b.lang == "console" {
			consoleBlocks++
			if b.file != readmeFile || b.heading != adminCLIHeading || consoleBlocks > 1 {
				t.Errorf("%s: a ```console block that TestREADMEAdminCLIExample does not run: it runs only the first one "+
					"under the README's %q; mark this one ```sh (commands CI runs) or ```text", b.where(), adminCLIHeading)
			}
		}
		for _, cmd := range blockCommands(b) {
			seen[cmd] = true
			switch {
			case b.lang == "console":
				checkEvidence(t, b.where(), cmd, []evidence{adminCLIEvidence})
			case readmeCommands[cmd] != nil:
				checkEvidence(t, b.where(), cmd, readmeCommands[cmd])
			default:
				t.Errorf("%s: %q is not a command CI runs: add it to readmeCommands in readme_test.go with where CI runs it, or remove it", b.where(), cmd)
			}
		}
	}
	if consoleBlocks == 0 {
		t.Errorf("the README has no ```console block under %q, which TestREADMEAdminCLIExample runs", adminCLIHeading)
	}
	for cmd := range readmeCommands {
		if !seen[cmd] {
			t.Errorf("readme_test.go lists %q, which neither the README nor docs/ shows any more; remove it", cmd)
		}
	}
}

// blockCommands returns the commands of a shell block, one a line, with
// comments cut and spaces collapsed; in a ```console block, only the lines
// after "$ " (the rest is output).
func blockCommands(b readmeBlock) []string {
	var cmds []string
	for line := range strings.SplitSeq(b.text, "\n") {
		if b.lang == "console" {
			cmd, ok := strings.CutPrefix(line, "$ ")
			if !ok {
				continue
			}
			line = cmd
		}
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		if line = strings.Join(strings.Fields(line), " "); line != "" && !strings.HasPrefix(line, "#") {
			cmds = append(cmds, line)
		}
	}
	return cmds
}

// checkEvidence checks that each evidence file holds its string.
func checkEvidence(t *testing.T, where, cmd string, evs []evidence) {
	t.Helper()
	for _, ev := range evs {
		data, err := os.ReadFile(filepath.FromSlash(ev.file))
		if err != nil {
			t.Errorf("%s: %q: its evidence is gone: %v", where, cmd, err)
			continue
		}
		if !bytes.Contains(data, []byte(ev.holds)) {
			t.Errorf("%s: %q: %s no longer holds %q", where, cmd, ev.file, ev.holds)
		}
	}
}

// demoMasks replace what differs from run to run in the quickstart's
// output: the random user id, the random username suffix, the times.
var demoMasks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\b[A-Za-z0-9]{15}\b`), "USER_ID"},
	{regexp.MustCompile(`ada_[A-Za-z0-9]+`), "ada_SUFFIX"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`), "TIME"},
}

// TestREADMEDemoOutput runs the quickstart (what make demo runs) on this
// test's database and compares its numbered steps with the README's
// output block, random ids and times masked.
func TestREADMEDemoOutput(t *testing.T) {
	var readme string
	for _, b := range readmeBlocks(t) {
		if b.lang == "text" && strings.HasPrefix(b.text, "Database: ") {
			readme = b.text
			break
		}
	}
	if readme == "" {
		t.Fatal("the README has no ```text block starting with \"Database: \" (make demo's output)")
	}
	databaseURL := os.Getenv("DATABASE_URL")
	if databaseURL == "" {
		t.Fatal("DATABASE_URL is not set (TestMain sets it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "./examples/quickstart")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run ./examples/quickstart: %v\n%s", err, stderr.Bytes())
	}
	got, want := demoSteps(string(out)), demoSteps(readme)
	if got != want {
		t.Errorf("the quickstart prints (masked):\n%s\nthe README shows (masked):\n%s", got, want)
	}
	if !strings.Contains(want, "\n6. ") {
		t.Errorf("the README's demo output lost steps:\n%s", want)
	}
}

// demoSteps is the quickstart's output from step 1 on, masked. The first
// line names the database, which differs by design.
func demoSteps(out string) string {
	_, steps, _ := strings.Cut(out, "\n1. ")
	steps = "1. " + strings.TrimSpace(steps)
	for _, m := range demoMasks {
		steps = m.re.ReplaceAllString(steps, m.with)
	}
	return steps
}

// linkedFiles are the files whose relative links TestREADMELinksResolve
// follows: the README, docs/, and SECURITY.md, which they link to.
func linkedFiles(t *testing.T) []string {
	return append(docFiles(t), "SECURITY.md")
}

// markdownLink matches an inline link or image: its target, up to a space
// or the closing parenthesis.
var markdownLink = regexp.MustCompile(`\]\(([^)\s]+)[^)]*\)`)

// TestREADMELinksResolve checks that every relative link of the README, of
// docs/ and of SECURITY.md names a file or directory of the repository, and
// that a link to a heading (#anchor, alone or after a Markdown file) names
// one that exists, as GitHub spells its anchors. Moving a section to
// another page must not leave links to where it was.
func TestREADMELinksResolve(t *testing.T) {
	links := 0
	for _, file := range linkedFiles(t) {
		data, err := os.ReadFile(filepath.FromSlash(file))
		if err != nil {
			t.Fatalf("reading %s: %v", file, err)
		}
		for i, line := range proseLines(string(data)) {
			for _, m := range markdownLink.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				links++
				path, anchor, _ := strings.Cut(target, "#")
				if path == "" {
					path = file
				} else {
					path = filepath.ToSlash(filepath.Join(filepath.Dir(file), path))
				}
				if _, err := os.Stat(filepath.FromSlash(path)); err != nil {
					t.Errorf("%s:%d: the link %s names no file: %v", file, i+1, target, err)
					continue
				}
				if anchor == "" {
					continue
				}
				if !strings.HasSuffix(path, ".md") {
					t.Errorf("%s:%d: the link %s has an anchor into a file that is not Markdown", file, i+1, target)
					continue
				}
				if !slices.Contains(headingAnchors(t, path), anchor) {
					t.Errorf("%s:%d: the link %s: %s has no heading whose anchor is #%s", file, i+1, target, path, anchor)
				}
			}
		}
	}
	if links < 20 {
		t.Fatalf("found only %d relative links; the parser lost some", links)
	}
}

// proseLines returns a Markdown file's lines with fenced code blocks and
// inline code spans blanked, so that code is never read as a link; line
// numbers stay. A code span may run over a line break, never over a blank
// line.
func proseLines(text string) []string {
	lines := strings.Split(text, "\n")
	inFence := false
	for i, line := range lines {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
			lines[i] = ""
			continue
		}
		if inFence {
			lines[i] = ""
		}
	}
	prose := codeSpan.ReplaceAllStringFunc(strings.Join(lines, "\n"), func(span string) string {
		return "``" + strings.Repeat("\n", strings.Count(span, "\n"))
	})
	return strings.Split(prose, "\n")
}

// codeSpan matches an inline code span: backticks around text with at
// most single line breaks in it.
var codeSpan = regexp.MustCompile("`(?:[^`\n]|\n[^`\n])*`")

// headingAnchors returns the anchors GitHub gives a Markdown file's
// headings: lower case, spaces as hyphens, punctuation dropped, and a
// repeated anchor numbered -1, -2, ...
func headingAnchors(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.FromSlash(file))
	if err != nil {
		t.Fatalf("reading %s: %v", file, err)
	}
	var anchors []string
	count := map[string]int{}
	inFence := false
	for line := range strings.SplitSeq(string(data), "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
			continue
		}
		text, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " ")
		if inFence || !strings.HasPrefix(line, "#") || !ok {
			continue
		}
		var slug strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(text)) {
			switch {
			case r == ' ':
				slug.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
				slug.WriteRune(r)
			}
		}
		anchor := slug.String()
		if n := count[anchor]; n > 0 {
			anchors = append(anchors, fmt.Sprintf("%s-%d", anchor, n))
		} else {
			anchors = append(anchors, anchor)
		}
		count[anchor]++
	}
	return anchors
}

// namedTest matches a test, benchmark or fuzzer named in code quotes.
var namedTest = regexp.MustCompile("`((?:Test|Benchmark|Fuzz)[A-Z][A-Za-z0-9_]*)`")

// TestDocumentedTestsExist checks that every test, benchmark and fuzzer
// the README, docs/ and SECURITY.md name as proof of something is defined
// in some module of the repository: a test renamed or removed must not
// leave a claim behind that nothing proves any more.
func TestDocumentedTestsExist(t *testing.T) {
	t.Parallel()
	defined := map[string]bool{}
	funcDecl := regexp.MustCompile(`(?m)^func ((?:Test|Benchmark|Fuzz)[A-Za-z0-9_]*)\(`)
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != ".":
			return filepath.SkipDir
		case d.IsDir() || !strings.HasSuffix(path, "_test.go"):
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range funcDecl.FindAllSubmatch(src, -1) {
			defined[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range linkedFiles(t) {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range namedTest.FindAllSubmatch(text, -1) {
			if name := string(m[1]); !defined[name] {
				t.Errorf("%s names %s, which no _test.go file defines", file, name)
			}
		}
	}
}
