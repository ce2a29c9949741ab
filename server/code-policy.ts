// Who may run their own code on this host. Custom runs execute arbitrary code with the server
// user's rights (in a worker process, under the caps): accepted only when the server listens on
// loopback, or holds a token every caller must present; MEMTIDE_ALLOW_CODE=0 turns them off.
import type { CodePolicy } from '../shared/custom/code.js';
import { isLoopbackHost } from './security.js';

export const ALLOW_CODE_ENV = 'MEMTIDE_ALLOW_CODE';

/** MEMTIDE_ALLOW_CODE: "0" off, "1" or unset on; anything else is a mistake worth stopping for. */
export function allowCodeFromEnv(value: string | undefined): boolean | string {
  if (value === undefined || value === '' || value === '1') return true;
  if (value === '0') return false;
  return `${ALLOW_CODE_ENV} must be 0 (user code off) or 1, got ${JSON.stringify(value.slice(0, 40))}`;
}

export interface CodeSettings {
  /** false: MEMTIDE_ALLOW_CODE=0. */
  allowCode?: boolean;
  host: string;
  token?: string;
}

export function codePolicy({ allowCode = true, host, token }: CodeSettings): CodePolicy {
  if (!allowCode) return { allowed: false, reason: `${ALLOW_CODE_ENV}=0: this server does not run user code` };
  if (!isLoopbackHost(host) && !token) {
    return { allowed: false, reason: `the server listens on ${host} without MEMTIDE_TOKEN: user code runs only on loopback, or with a token` };
  }
  return { allowed: true };
}

/**
 * The same rule for one request, from the address it really arrived on: even if a server were
 * bound beyond loopback with no token (another wiring, a proxy in front), code that came in on a
 * non-loopback address without a token is refused.
 */
export function requestCodeRefusal(policy: CodePolicy, localAddress: string | undefined, token: string | undefined): string | undefined {
  if (!policy.allowed) return policy.reason;
  const local = (localAddress ?? '').replace(/^::ffff:/, '');
  if (!token && !isLoopbackHost(local)) return `this request came in on ${local || 'an unknown address'}, not loopback, and the server has no MEMTIDE_TOKEN: user code is refused`;
  return undefined;
}
