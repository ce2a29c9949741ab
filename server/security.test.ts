// Host, Origin and token rules on bare requests; the real server is tested in test/security.test.ts.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { bindProblem, checkAccess, isLoopbackHost } from './security.js';

const req = (headers: Record<string, string>, url = '/api/health') => ({ headers, url }) as unknown as IncomingMessage;
const TOKEN = 'a-long-enough-token-123';

describe('bind rules', () => {
  it('knows loopback', () => {
    for (const h of ['127.0.0.1', '127.8.0.1', '::1', '[::1]', 'localhost']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.2', 'example.com']) expect(isLoopbackHost(h), h).toBe(false);
  });
  it('refuses to expose the server without a token, or with a short one', () => {
    expect(bindProblem('127.0.0.1', undefined)).toBeUndefined();
    expect(bindProblem('0.0.0.0', undefined)).toMatch(/MEMTIDE_TOKEN/);
    expect(bindProblem('0.0.0.0', TOKEN)).toBeUndefined();
    expect(bindProblem('127.0.0.1', 'short')).toMatch(/^MEMTIDE_TOKEN: must be at least 16/);
  });
});

describe('checkAccess', () => {
  it('accepts IP literals and localhost, refuses other names (DNS rebinding)', () => {
    for (const host of ['127.0.0.1:5177', 'localhost:5177', '[::1]:5177', '10.0.0.5', 'app.localhost:1']) {
      expect(checkAccess(req({ host }), {}).ok, host).toBe(true);
    }
    const rebound = checkAccess(req({ host: 'evil.example:5177' }), {});
    expect(rebound).toEqual({ ok: false, status: 403, error: expect.stringMatching(/^host: "evil.example:5177"/) });
    expect(checkAccess(req({}), {}).ok).toBe(false);
    expect(checkAccess(req({ host: 'box.lan:5177' }), { allowedHosts: ['box.lan'] }).ok).toBe(true);
  });

  it('accepts no Origin or the same origin, refuses any other', () => {
    const host = '127.0.0.1:5177';
    expect(checkAccess(req({ host, origin: 'http://127.0.0.1:5177' }), {}).ok).toBe(true);
    for (const origin of ['http://127.0.0.1:5178', 'http://evil.example', 'null', 'file://', 'garbage']) {
      expect(checkAccess(req({ host, origin }), {}), origin).toMatchObject({ ok: false, status: 403, error: expect.stringMatching(/^origin: /) });
    }
  });

  it('takes the token from the header, a bearer, the query or the cookie', () => {
    const host = '127.0.0.1:1';
    expect(checkAccess(req({ host }), { token: TOKEN })).toMatchObject({ ok: false, status: 401, error: expect.stringMatching(/^token: missing/) });
    expect(checkAccess(req({ host, 'x-memtide-token': 'wrong' }), { token: TOKEN })).toMatchObject({ ok: false, status: 401, error: 'token: wrong token' });
    expect(checkAccess(req({ host, 'x-memtide-token': TOKEN }), { token: TOKEN })).toEqual({ ok: true, tokenFromQuery: false });
    expect(checkAccess(req({ host, authorization: `Bearer ${TOKEN}` }), { token: TOKEN }).ok).toBe(true);
    expect(checkAccess(req({ host }, `/ws?token=${TOKEN}`), { token: TOKEN })).toEqual({ ok: true, tokenFromQuery: true });
    expect(checkAccess(req({ host, cookie: `a=b; memtide_token=${TOKEN}` }), { token: TOKEN }).ok).toBe(true);
  });
});
