// Drives Lucia v1 (lucia-auth 1.8.0 with @lucia-auth/adapter-postgresql
// 1.0.1, and @lucia-auth/tokens 1.0.2) on the database named by DATABASE_URL, so luciapg's Go tests can
// check that both sides read and write the same rows the same way.
//
// Commands are JSON objects {"op": "...", "args": {...}}. Given one as an
// argument, it runs it and exits (for trying things by hand):
//
//   DATABASE_URL=postgres://... node lucia.js '{"op":"hashPassword","args":{"password":"x"}}'
//
// Without arguments it reads one command per line on standard input and
// writes one result per line on standard output, in order, until standard
// input closes (how the Go tests keep one process per database). A result is
// {"ok": true, "result": ...} or {"ok": false, "error": "AUTH_...",
// "message": "..."}; "error" is Lucia's error code, or "UNEXPECTED" for any
// other failure; a token operation's failure has @lucia-auth/tokens' code
// ("INVALID_TOKEN", ...). Dates are milliseconds since the Unix epoch, as
// stored.

// Lucia v1 needs the Web Crypto global, which Node 18 lacks.
import "lucia-auth/polyfill/node";

import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

import lucia, { LuciaError } from "lucia-auth";
import { pg as postgresAdapter } from "@lucia-auth/adapter-postgresql";
import { idToken, passwordToken, LuciaTokenError } from "@lucia-auth/tokens";
import pg from "pg";

// The Go auth core's defaults, which are Lucia v1's: active for 24 hours,
// then idle for 14 days. (User ids of 15 characters and session ids of 40
// are Lucia v1's fixed behaviour; hashes are its scrypt "s2" format.)
const activePeriod = 24 * 60 * 60 * 1000;
const idlePeriod = 14 * 24 * 60 * 60 * 1000;

const databaseURL = process.env.DATABASE_URL;
if (!databaseURL) {
	console.error("lucia.js: set DATABASE_URL to the database to use");
	process.exit(2);
}

// Commands run one at a time, but the adapter's setUser with a key (its
// "transaction") checks a connection out of the pool and never releases it,
// so each createUser costs one connection until the process exits.
const pool = new pg.Pool({ connectionString: databaseURL, max: 10 });

// Lucia fires some queries without awaiting them (its dead-session
// cleanup); they are tracked here so the process can let them finish
// before it exits.
const pending = new Set();
const query = pool.query.bind(pool);
pool.query = (...args) => {
	const result = query(...args);
	pending.add(result);
	result.then(
		() => pending.delete(result),
		() => pending.delete(result),
	);
	return result;
};

// The adapter's table names are fixed: auth_user, auth_session, auth_key.
const auth = lucia({
	adapter: postgresAdapter(pool),
	env: "DEV",
	sessionExpiresIn: { activePeriod, idlePeriod },
});

const session = (s) => ({
	sessionId: s.sessionId,
	userId: s.userId,
	state: s.state,
	fresh: s.fresh,
	activeExpires: s.activePeriodExpiresAt.getTime(),
	idleExpires: s.idlePeriodExpiresAt.getTime(),
});

const key = (k) => ({
	type: k.type,
	userId: k.userId,
	providerId: k.providerId,
	providerUserId: k.providerUserId,
	passwordDefined: k.passwordDefined,
	primary: k.primary ?? false,
	expires: k.expiresAt ? k.expiresAt.getTime() : null,
});

// token is a @lucia-auth/tokens Token. Its value is a secret everywhere but
// in these tests, which must hand it to the other side.
const token = (t) => ({
	value: t.toString(),
	userId: t.userId,
	expiresAt: t.expiresAt.getTime(),
	expired: t.expired,
});

// Token handlers are made per call: the name and lifetime (expiresIn, in
// seconds, as @lucia-auth/tokens counts it; negative issues a token that
// has already expired) come with each command.
const idTokens = ({ name, expiresIn }) => idToken(auth, name, { expiresIn: expiresIn ?? 3600 });
const passwordTokens = ({ name, expiresIn }) => passwordToken(auth, name, { expiresIn: expiresIn ?? 3600 });

// version reads the version of an installed package, to prove which Lucia
// the tests ran against.
const version = (name) =>
	JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), "utf8")).version;

// Each operation is one Lucia v1 call, named after it. A password given as
// null means none.
const operations = {
	versions: async () => ({
		luciaAuth: version("lucia-auth"),
		adapterPostgresql: version("@lucia-auth/adapter-postgresql"),
		tokens: version("@lucia-auth/tokens"),
		pg: version("pg"),
		node: process.versions.node,
	}),
	createUser: async ({ providerId, providerUserId, password }) => {
		const user = await auth.createUser({
			primaryKey: { providerId, providerUserId, password },
			attributes: {},
		});
		return { userId: user.userId };
	},
	getUser: async ({ userId }) => ({ userId: (await auth.getUser(userId)).userId }),
	deleteUser: async ({ userId }) => {
		await auth.deleteUser(userId);
		return {};
	},
	createKey: async ({ userId, providerId, providerUserId, password }) =>
		key(await auth.createKey(userId, { type: "persistent", providerId, providerUserId, password })),
	getKey: async ({ providerId, providerUserId }) => key(await auth.getKey(providerId, providerUserId)),
	getAllUserKeys: async ({ userId }) => (await auth.getAllUserKeys(userId)).map(key),
	useKey: async ({ providerId, providerUserId, password }) =>
		key(await auth.useKey(providerId, providerUserId, password)),
	createSession: async ({ userId }) => session(await auth.createSession(userId)),
	// getSession reads a session without renewing it.
	getSession: async ({ sessionId }) => session(await auth.getSession(sessionId)),
	// validateSession renews an idle session: the result is then fresh,
	// with a new id.
	validateSession: async ({ sessionId }) => session(await auth.validateSession(sessionId)),
	getSessionUser: async ({ sessionId }) => {
		const { session: s, user } = await auth.getSessionUser(sessionId);
		return { session: session(s), userId: user.userId };
	},
	getAllUserSessions: async ({ userId }) => (await auth.getAllUserSessions(userId)).map(session),
	invalidateSession: async ({ sessionId }) => {
		await auth.invalidateSession(sessionId);
		return {};
	},
	hashPassword: async ({ password }) => ({ hash: await auth.hash.generate(password) }),
	validatePassword: async ({ password, hash }) => ({ valid: await auth.hash.validate(password, hash) }),
	// @lucia-auth/tokens: idToken's and passwordToken's methods.
	idTokenIssue: async (args) => token(await idTokens(args).issue(args.userId)),
	idTokenValidate: async (args) => token(await idTokens(args).validate(args.token)),
	idTokenUserTokens: async (args) => (await idTokens(args).getUserTokens(args.userId)).map(token),
	idTokenInvalidate: async (args) => {
		await idTokens(args).invalidate(args.token);
		return {};
	},
	idTokenInvalidateAllUserTokens: async (args) => {
		await idTokens(args).invalidateAllUserTokens(args.userId);
		return {};
	},
	passwordTokenIssue: async (args) => token(await passwordTokens(args).issue(args.userId)),
	passwordTokenValidate: async (args) => token(await passwordTokens(args).validate(args.token, args.userId)),
	passwordTokenUserTokens: async (args) => (await passwordTokens(args).getUserTokens(args.userId)).map(token),
	passwordTokenInvalidateAllUserTokens: async (args) => {
		await passwordTokens(args).invalidateAllUserTokens(args.userId);
		return {};
	},
	// benchValidate is luciapg's benchmark peer row (bench/, "cache" part):
	// concurrency loops call getSessionUser over sessionIds (taken in turn
	// from a random start) for warmupMs unmeasured, then for durationMs,
	// and report calls per second and latency percentiles in µs. Every id
	// must name a live session.
	benchValidate: async ({ sessionIds, concurrency, warmupMs, durationMs }) => {
		const ids = sessionIds ?? [];
		if (ids.length === 0) throw new Error("benchValidate: sessionIds is empty");
		const loops = concurrency ?? 8;
		const runFor = async (ms, latencies) => {
			const deadline = performance.now() + ms;
			const loop = async (start) => {
				for (let i = start; ; i = (i + 1) % ids.length) {
					const began = performance.now();
					if (began >= deadline) return;
					await auth.getSessionUser(ids[i]);
					latencies?.push(performance.now() - began);
				}
			};
			const began = performance.now();
			await Promise.all(Array.from({ length: loops }, () => loop(Math.floor(Math.random() * ids.length))));
			return (performance.now() - began) / 1000;
		};
		await runFor(warmupMs ?? 1000);
		const latencies = [];
		const seconds = await runFor(durationMs ?? 4000, latencies);
		latencies.sort((a, b) => a - b);
		const pct = (p) => Math.round(1000 * latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]);
		return { calls: latencies.length, seconds, opsPerSec: latencies.length / seconds, p50Us: pct(50), p99Us: pct(99) };
	},
};

const run = async (line) => {
	let command;
	try {
		command = JSON.parse(line);
	} catch {
		return { ok: false, error: "BAD_COMMAND", message: "not JSON" };
	}
	const operation = operations[command?.op];
	if (!operation || !Object.hasOwn(operations, command.op)) {
		return { ok: false, error: "BAD_COMMAND", message: `unknown op ${JSON.stringify(command?.op)}` };
	}
	try {
		return { ok: true, result: await operation(command.args ?? {}) };
	} catch (e) {
		if (e instanceof LuciaError || e instanceof LuciaTokenError) {
			return { ok: false, error: e.message };
		}
		// Only the message: a pg error's detail would quote the row's values.
		return { ok: false, error: "UNEXPECTED", message: String(e?.message ?? e) };
	}
};

// finish lets the queries Lucia did not await complete, then ends the
// process (pool.end would wait forever for the connections the adapter
// leaks).
const finish = async (exitCode) => {
	while (pending.size > 0) {
		await Promise.allSettled([...pending]);
	}
	process.exit(exitCode);
};

if (process.argv.length > 2) {
	const result = await run(process.argv[2]);
	process.stdout.write(JSON.stringify(result) + "\n");
	await finish(result.ok ? 0 : 1);
} else {
	for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
		if (line.trim() === "") continue;
		process.stdout.write(JSON.stringify(await run(line)) + "\n");
	}
	await finish(0);
}
