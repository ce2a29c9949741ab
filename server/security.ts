// Who may talk to the server: the Host and Origin checks that defeat DNS rebinding and cross-site
// requests (the rule Vite's dev server applies: IP literals and localhost, plus named hosts), the
// access token required when the server listens beyond loopback, and the page's security headers.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { RequestHandler } from 'express';
import { quote } from '../shared/validation.js';

export const TOKEN_HEADER = 'x-memtide-token';
export const TOKEN_COOKIE = 'memtide_token';
export const MIN_TOKEN_LENGTH = 16;

export interface SecurityOptions {
  /** Required on every HTTP call and WebSocket upgrade when set. */
  token?: string;
  /** Host names (besides IP literals and localhost) the server may be reached by. */
  allowedHosts?: readonly string[];
}

export type AccessVerdict = { ok: true; tokenFromQuery: boolean } | { ok: false; status: 401 | 403; error: string };

const stripBrackets = (host: string) => host.replace(/^\[(.*)\]$/, '$1');

export function isLoopbackHost(host: string): boolean {
  const bare = stripBrackets(host).toLowerCase();
  return bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
}

/** Why the server must not start with these settings, if it must not. */
export function bindProblem(host: string, token: string | undefined): string | undefined {
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) return `MEMTIDE_TOKEN: must be at least ${MIN_TOKEN_LENGTH} characters`;
  if (!isLoopbackHost(host) && !token) {
    return `HOST=${host} exposes the server beyond this machine: set MEMTIDE_TOKEN (at least ${MIN_TOKEN_LENGTH} characters) so that only holders of the token can start runs`;
  }
  return undefined;
}

function hostnameOf(hostHeader: string): string | undefined {
  try {
    return stripBrackets(new URL(`http://${hostHeader}`).hostname).toLowerCase();
  } catch {
    return undefined;
  }
}

/** host:port of an http(s) origin; undefined for "null" and anything else. */
function originHost(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.host.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

function hostAllowed(hostname: string, allowed: readonly string[]): boolean {
  return isIP(hostname) !== 0 || hostname === 'localhost' || hostname.endsWith('.localhost') || allowed.includes(hostname);
}

const digest = (text: string) => createHash('sha256').update(text).digest();
const sameToken = (given: string, token: string) => timingSafeEqual(digest(given), digest(token));

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) {
      try {
        return decodeURIComponent(value.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function queryToken(url: string): string | null {
  try {
    return new URL(url, 'http://localhost').searchParams.get('token');
  } catch {
    return null;
  }
}

/** Host, Origin and token checks for one request or WebSocket upgrade. */
export function checkAccess(req: IncomingMessage, { token, allowedHosts = [] }: SecurityOptions): AccessVerdict {
  const hostHeader = req.headers.host;
  const hostname = hostHeader ? hostnameOf(hostHeader) : undefined;
  if (!hostname || !hostAllowed(hostname, allowedHosts)) {
    return { ok: false, status: 403, error: `host: ${quote(hostHeader ?? '')} is not a name this server answers to (add it to MEMTIDE_ALLOWED_HOSTS)` };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && originHost(origin) !== hostHeader!.toLowerCase()) {
    return { ok: false, status: 403, error: `origin: ${quote(origin)} is not this server` };
  }
  if (!token) return { ok: true, tokenFromQuery: false };
  const query = queryToken(req.url ?? '/');
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const header = req.headers[TOKEN_HEADER];
  const given = query ?? (typeof header === 'string' ? header : undefined) ?? bearer ?? cookie(req, TOKEN_COOKIE);
  if (given === undefined) return { ok: false, status: 401, error: `token: missing (send the ${TOKEN_HEADER} header or ?token=)` };
  if (!sameToken(given, token)) return { ok: false, status: 401, error: 'token: wrong token' };
  return { ok: true, tokenFromQuery: query !== null };
}

/**
 * What the page may do. The built client loads only its own script and stylesheet and talks to
 * its own origin ('self' covers ws: on the same host:port in CSP Level 3); Chart.js draws on a
 * canvas and sets styles through the CSSOM, which style-src does not restrict.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // Also keeps a ?token= in the page address out of any Referer.
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Sets the headers on every answer and refuses requests that fail checkAccess. */
export function securityMiddleware(options: SecurityOptions): RequestHandler {
  return (req, res, next) => {
    res.set(SECURITY_HEADERS);
    const verdict = checkAccess(req, options);
    if (!verdict.ok) {
      res.status(verdict.status).json({ error: verdict.error });
      return;
    }
    // The page's own scripts and stylesheet are loaded without the query: a cookie carries the
    // token for them (SameSite=Strict, so no other site's request ever sends it).
    if (verdict.tokenFromQuery && options.token) {
      res.append('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(options.token)}; Path=/; HttpOnly; SameSite=Strict`);
    }
    next();
  };
}
