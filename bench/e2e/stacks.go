package main

// The stacks, in the order of the report. Each serves the same routes
// (serve.go).
const (
	stackGoCeiling             = "go-ceiling"
	stackLuciapgStore          = "luciapg-store"
	stackLuciapgCache          = "luciapg-cache"
	stackNodeCeiling           = "node-ceiling"
	stackLuciaV1               = "lucia-v1"
	stackBetterAuth            = "better-auth"
	stackBetterAuthCookieCache = "better-auth-cookie-cache"
)

const (
	langGo   = "Go"
	langNode = "Node"
)

// stack is one row of the report: a server and how to run it.
type stack struct {
	name string
	lang string
	// ceiling: answers /me with a constant, no auth (no login, logout or
	// revocation rows; the other rows of its language are given as a
	// fraction of it).
	ceiling bool
	// needsModules: server.mjs needs the npm packages for it.
	needsModules bool
	// betterAuth: runs in the Better Auth database.
	betterAuth bool
	// servesRevoked: the stack is expected to serve a revoked session
	// until the revocation cap (Better Auth's cookie cache, 300 s).
	servesRevoked bool
	// hash is its default password hashing, read in its source.
	hash string
	// what is the stack in a few words, for the report.
	what string
}

// Scrypt as luciapg (auth/password.go) and Lucia v1 (lucia-auth
// utils/crypto.js) make it, and as Better Auth 1.7's
// @better-auth/utils/password.node (node:crypto's scrypt, on libuv's
// thread pool) does: the same parameters, three implementations.
const (
	hashLuciapg    = "scrypt N=16384 r=16 p=1, 64-byte key (Go x/crypto, at most GOMAXPROCS at once)"
	hashLuciaV1    = "scrypt N=16384 r=16 p=1, 64-byte key (pure JavaScript, on the event loop)"
	hashBetterAuth = "scrypt N=16384 r=16 p=1, 64-byte key (node:crypto, libuv thread pool)"
)

var stacks = []stack{
	{name: stackGoCeiling, lang: langGo, ceiling: true, what: "Go net/http answering a constant on GET /me (through a ServeMux, as the luciapg rows)"},
	{name: stackLuciapgStore, lang: langGo, hash: hashLuciapg, what: "authhttp.Middleware over auth over luciapg.Store"},
	{name: stackLuciapgCache, lang: langGo, hash: hashLuciapg, what: "the same over sessioncache (default config)"},
	{name: stackNodeCeiling, lang: langNode, ceiling: true, what: "Node http answering a constant"},
	{name: stackLuciaV1, lang: langNode, needsModules: true, hash: hashLuciaV1, what: "lucia-auth 1.8.0, @lucia-auth/adapter-postgresql 1.0.1 (pg), Node http"},
	{name: stackBetterAuth, lang: langNode, needsModules: true, betterAuth: true, hash: hashBetterAuth, what: "better-auth (pg Pool), auth.api.getSession, Node http"},
	{name: stackBetterAuthCookieCache, lang: langNode, needsModules: true, betterAuth: true, servesRevoked: true, hash: hashBetterAuth, what: "the same with session.cookieCache {enabled, maxAge: 300}"},
}

// ceilingOf names the ceiling of a stack's language.
func ceilingOf(s stack) string {
	if s.lang == langGo {
		return stackGoCeiling
	}
	return stackNodeCeiling
}

func stackNamed(name string) (stack, bool) {
	for _, s := range stacks {
		if s.name == name {
			return s, true
		}
	}
	return stack{}, false
}
