/** Console test helpers over HTTP: log in through the API and create users (as an admin would). */
import type { Role, TokenResponse } from '../../ui/api/contract.js';

export async function apiLogin(base: string, username: string, password: string): Promise<TokenResponse> {
  const r = await fetch(`${base}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (r.status !== 200) throw new Error(`login of ${username}: ${r.status} ${await r.text()}`);
  return (await r.json()) as TokenResponse;
}

export async function createUsers(base: string, adminToken: string, users: { username: string; password: string; role: Role }[]): Promise<void> {
  for (const u of users) {
    const r = await fetch(`${base}/api/users`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` }, body: JSON.stringify(u) });
    if (r.status !== 201) throw new Error(`creating ${u.username}: ${r.status} ${await r.text()}`);
  }
}

/** Waits until `probe` returns a value (the console's projections follow the event log asynchronously). */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
