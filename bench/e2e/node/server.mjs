// The Node servers of luciapg's end-to-end benchmark (bench/e2e): the same
// routes as the Go servers (bench/e2e/serve.go), on Node's http server.
//
//   node server.mjs node-ceiling               GET /me answers a constant, no auth
//   node server.mjs lucia-v1                   Lucia v1 on DATABASE_URL (luciapg's tables)
//   node server.mjs better-auth                Better Auth on DATABASE_URL (a database of its own)
//   node server.mjs better-auth-cookie-cache   the same with its cookie cache (maxAge 300 s)
//   node server.mjs better-auth-migrate        create Better Auth's tables with its own migrations, then exit
//
// Routes (form bodies):
//   GET  /me             200 and the user's id for a valid session cookie, else 401
//   POST /signup         username, password: 200 and the new user's id
//   POST /login          username, password: 200 and the session cookie, else 401
//   POST /logout         ends the cookie's session: 200
//   POST /bench/sessions user, n: n new sessions through the library's own API
//                        (no password), one Cookie header value a line; setup only
//
// A server listens on 127.0.0.1 on a free port, prints "listening ADDR" on
// standard output once it serves, and exits when standard input closes.
// BETTER_AUTH_SECRET must be the same for every instance of a Better Auth
// stack (its cookies are signed). The packages are imported only by the
// stacks that need them, so the ceiling runs without node_modules.

import http from "node:http";

const stack = process.argv[2];
const databaseURL = process.env.DATABASE_URL;

// Lucia v1's session lifetimes, the Go auth core's defaults too.
const activePeriod = 24 * 60 * 60 * 1000;
const idlePeriod = 14 * 24 * 60 * 60 * 1000;

const readForm = async (req) => {
	let body = "";
	req.setEncoding("utf8");
	for await (const chunk of req) body += chunk;
	return new URLSearchParams(body);
};

const send = (res, status, body, headers = {}) => {
	res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", ...headers });
	res.end(body);
};

// listen serves handler on a free loopback port, then calls ready with the
// port before announcing it (Better Auth needs its base URL).
const listen = async (handler, ready = async () => {}) => {
	const server = http.createServer((req, res) => {
		handler(req, res).catch((e) => {
			console.error(`${req.method} ${req.url}: ${e?.message ?? e}`);
			if (!res.headersSent) send(res, 500, "internal error");
			else res.end();
		});
	});
	// The load generator's connections stay open for a whole run.
	server.keepAliveTimeout = 5 * 60 * 1000;
	await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address();
	await ready(port);
	process.stdout.write(`listening 127.0.0.1:${port}\n`);
	process.stdin.resume();
	process.stdin.on("end", () => {
		server.close();
		server.closeAllConnections();
		process.exit(0);
	});
};

const needDatabase = () => {
	if (!databaseURL) {
		console.error("server.mjs: set DATABASE_URL");
		process.exit(2);
	}
};

const nodeCeiling = async () => {
	await listen(async (req, res) => send(res, 200, "ceiling"));
};

const luciaV1 = async () => {
	needDatabase();
	// Lucia v1 needs the Web Crypto global on older Node versions.
	await import("lucia-auth/polyfill/node");
	const { default: lucia } = await import("lucia-auth");
	const { node } = await import("lucia-auth/middleware");
	const { pg: postgresAdapter } = await import("@lucia-auth/adapter-postgresql");
	const { default: pg } = await import("pg");
	const pool = new pg.Pool({ connectionString: databaseURL });
	const auth = lucia({
		adapter: postgresAdapter(pool),
		// DEV: plain HTTP (PROD would make the CSRF check expect https:
		// origins and the cookie Secure).
		env: "DEV",
		middleware: node(),
		sessionExpiresIn: { activePeriod, idlePeriod },
	});
	const routes = {
		"GET /me": async (req, res) => {
			const { user } = await auth.handleRequest(req, res).validateUser();
			if (!user) return send(res, 401, "unauthorized");
			send(res, 200, user.userId);
		},
		"POST /signup": async (req, res) => {
			const form = await readForm(req);
			// createUser with a primaryKey runs the adapter's "transaction",
			// which takes a pool connection and never releases it
			// (@lucia-auth/adapter-postgresql 1.0.1): the user first, then
			// its key, both through Lucia's own API.
			const user = await auth.createUser({ primaryKey: null, attributes: {} });
			await auth.createKey(user.userId, {
				type: "persistent",
				providerId: "username",
				providerUserId: form.get("username"),
				password: form.get("password"),
			});
			send(res, 200, user.userId);
		},
		"POST /login": async (req, res) => {
			const form = await readForm(req);
			let key;
			try {
				key = await auth.useKey("username", form.get("username"), form.get("password"));
			} catch {
				return send(res, 401, "login refused");
			}
			const session = await auth.createSession(key.userId);
			auth.handleRequest(req, res).setSession(session);
			send(res, 200, "ok");
		},
		"POST /logout": async (req, res) => {
			const authRequest = auth.handleRequest(req, res);
			const session = await authRequest.validate();
			if (!session) return send(res, 401, "unauthorized");
			await auth.invalidateSession(session.sessionId);
			authRequest.setSession(null);
			send(res, 200, "ok");
		},
		"POST /bench/sessions": async (req, res) => {
			const form = await readForm(req);
			const lines = [];
			for (let i = 0; i < Number(form.get("n")); i++) {
				const session = await auth.createSession(form.get("user"));
				const cookie = auth.createSessionCookie(session);
				lines.push(`${cookie.name}=${cookie.value}`);
			}
			send(res, 200, lines.join("\n") + "\n");
		},
	};
	await listen(route(routes));
};

// betterAuthOptions is Better Auth's configuration: email and password on,
// PostgreSQL through a pg Pool, everything else its defaults.
const betterAuthOptions = async (baseURL, cookieCache) => {
	const { default: pg } = await import("pg");
	const options = {
		database: new pg.Pool({ connectionString: databaseURL }),
		baseURL,
		secret: process.env.BETTER_AUTH_SECRET,
		emailAndPassword: { enabled: true },
		telemetry: { enabled: false },
	};
	if (cookieCache) options.session = { cookieCache: { enabled: true, maxAge: 300 } };
	return options;
};

const betterAuthMigrate = async () => {
	needDatabase();
	const { getMigrations } = await import("better-auth/db/migration");
	const options = await betterAuthOptions("http://127.0.0.1", false);
	const { runMigrations } = await getMigrations(options);
	await runMigrations();
	await options.database.end();
};

// headersOf turns Node's request headers into the Fetch Headers Better
// Auth's API takes.
const headersOf = (req) => {
	const headers = new Headers();
	for (const [name, value] of Object.entries(req.headers)) {
		if (Array.isArray(value)) for (const v of value) headers.append(name, v);
		else if (value !== undefined) headers.set(name, value);
	}
	return headers;
};

// relay sends a Better Auth API Response back through Node's response,
// its Set-Cookie headers one by one.
const relay = async (res, response, body) => {
	const headers = {};
	const cookies = response.headers.getSetCookie();
	if (cookies.length > 0) headers["Set-Cookie"] = cookies;
	send(res, response.status, body ?? (await response.text()), headers);
};

const betterAuth = async (cookieCache) => {
	needDatabase();
	if (!process.env.BETTER_AUTH_SECRET) {
		console.error("server.mjs: set BETTER_AUTH_SECRET (the same for every instance)");
		process.exit(2);
	}
	const { betterAuth } = await import("better-auth");
	const { makeSignature } = await import("better-auth/crypto");
	let auth;
	let context;
	const routes = {
		"GET /me": async (req, res) => {
			// returnHeaders: the cookies getSession sets (the cookie
			// cache's session_data after a database read) reach the client.
			const { headers, response: session } = await auth.api.getSession({ headers: headersOf(req), returnHeaders: true });
			const cookies = headers.getSetCookie();
			const extra = cookies.length > 0 ? { "Set-Cookie": cookies } : {};
			if (!session?.user) return send(res, 401, "unauthorized", extra);
			send(res, 200, session.user.id, extra);
		},
		"POST /signup": async (req, res) => {
			const form = await readForm(req);
			const result = await auth.api.signUpEmail({
				body: { email: `${form.get("username")}@example.com`, password: form.get("password"), name: form.get("username") },
				headers: headersOf(req),
			});
			send(res, 200, result.user.id);
		},
		"POST /login": async (req, res) => {
			const form = await readForm(req);
			const response = await auth.api.signInEmail({
				body: { email: `${form.get("username")}@example.com`, password: form.get("password") },
				headers: headersOf(req),
				asResponse: true,
			});
			if (!response.ok) return send(res, 401, "login refused");
			await relay(res, response, "ok");
		},
		"POST /logout": async (req, res) => {
			const response = await auth.api.signOut({ headers: headersOf(req), asResponse: true });
			await relay(res, response, response.ok ? "ok" : undefined);
		},
		"POST /bench/sessions": async (req, res) => {
			const form = await readForm(req);
			const name = context.authCookies.sessionToken.name;
			const lines = [];
			for (let i = 0; i < Number(form.get("n")); i++) {
				const session = await context.internalAdapter.createSession(form.get("user"));
				// As Better Auth's setSignedCookie signs it (better-call's
				// signCookieValue).
				const signature = await makeSignature(session.token, context.secret);
				lines.push(`${name}=${encodeURIComponent(`${session.token}.${signature}`)}`);
			}
			send(res, 200, lines.join("\n") + "\n");
		},
	};
	await listen(route(routes), async (port) => {
		auth = betterAuth(await betterAuthOptions(`http://127.0.0.1:${port}`, cookieCache));
		context = await auth.$context;
	});
};

const route = (routes) => async (req, res) => {
	const path = req.url.split("?")[0];
	const handler = routes[`${req.method} ${path}`];
	if (!handler) return send(res, 404, "not found");
	await handler(req, res);
};

switch (stack) {
	case "node-ceiling":
		await nodeCeiling();
		break;
	case "lucia-v1":
		await luciaV1();
		break;
	case "better-auth":
		await betterAuth(false);
		break;
	case "better-auth-cookie-cache":
		await betterAuth(true);
		break;
	case "better-auth-migrate":
		await betterAuthMigrate();
		break;
	default:
		console.error(`server.mjs: unknown stack ${JSON.stringify(stack)}`);
		process.exit(2);
}
