// The user's own code in the Node worker (custom runs). The three fields are compiled up front —
// a syntax error anywhere fails the run before baseline, not after allocating — and run as
// scripts in one vm context, so a `let foo` or `var foo` from allocate is still there for
// unreference (top-level lexical declarations of scripts share the context's script scope).
// The context is not a sandbox: it only keeps the worker's own globals out of the code's way.
// Failures are mapped to the field and the line and column the user typed: each field is its own
// script named "<field>" with no wrapper, so V8's positions need no offset.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import vm from 'node:vm';
import { CODE_FIELDS, codeFileName, type CodeField } from '../../shared/custom/facts.js';

export type Code = Record<CodeField, string>;

/** An error in the user's code, with where it is; the worker reports it as such. */
export class UserCodeError extends Error {
  constructor(readonly type: string, message: string, readonly field: CodeField, readonly line?: number, readonly column?: number) {
    super(message);
  }
}

/** Reads the code the server wrote on fd (JSON, to end of file). */
export function readCode(fd: number): Code {
  const parsed = JSON.parse(readFileSync(fd, 'utf8')) as Record<string, unknown> | null;
  const code = {} as Code;
  for (const field of CODE_FIELDS) {
    const text = parsed?.[field];
    if (typeof text !== 'string') throw new Error(`bad code: ${field} must be a string`);
    code[field] = text;
  }
  return code;
}

/** What the code finds as globals besides JavaScript's own: what a Node script usually has. */
function sandbox(): Record<string, unknown> {
  const names = ['console', 'process', 'Buffer', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate',
    'queueMicrotask', 'structuredClone', 'TextEncoder', 'TextDecoder', 'URL', 'URLSearchParams', 'performance', 'AbortController', 'atob', 'btoa'] as const;
  const g = globalThis as unknown as Record<string, unknown>;
  // require() resolves from the directory the server was started in, as the user's own scripts would.
  return { ...Object.fromEntries(names.map((n) => [n, g[n]])), require: createRequire(join(process.cwd(), 'memtide-custom.js')) };
}

const FRAME = /^\s+at .*?<(setup|allocate|unreference)>:(\d+):(\d+)\)?$/;

/** A report line is at most 64 KiB (server/worker-protocol.ts): a thrown 1 MB string is cut. */
const MESSAGE_MAX = 2000;

/** Errors from the context belong to another realm: `instanceof Error` is false, so read them by shape. */
function describe(error: unknown): { type: string; message: string; stack: string } {
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const e = error as { name?: unknown; message?: unknown; stack?: unknown };
    return { type: String(e.name ?? 'Error').slice(0, 200), message: String(e.message).slice(0, MESSAGE_MAX), stack: typeof e.stack === 'string' ? e.stack : '' };
  }
  return { type: 'thrown value', message: String(error).slice(0, MESSAGE_MAX), stack: '' };
}

/** "<allocate>:3\n  foo(;\n      ^\n\nSyntaxError: …": the line from the header, the column from the caret. */
function syntaxError(error: unknown, field: CodeField): UserCodeError {
  const { type, message, stack } = describe(error);
  const m = /^<\w+>:(\d+)\n.*\n( *)\^/.exec(stack);
  return new UserCodeError(type, message, field, m ? Number(m[1]) : undefined, m ? m[2]!.length + 1 : undefined);
}

/** The innermost frame in the user's code names the field and position; none: the field that ran. */
function runtimeError(error: unknown, field: CodeField): UserCodeError {
  const { type, message, stack } = describe(error);
  for (const line of stack.split('\n')) {
    const m = FRAME.exec(line);
    if (m) return new UserCodeError(type, message, m[1] as CodeField, Number(m[2]), Number(m[3]));
  }
  return new UserCodeError(type, message, field);
}

export interface CompiledCode {
  run(field: CodeField): void;
}

export function compileCode(code: Code): CompiledCode {
  const context = vm.createContext(sandbox(), { name: 'memtide custom code' });
  const scripts = {} as Record<CodeField, vm.Script>;
  for (const field of CODE_FIELDS) {
    try {
      scripts[field] = new vm.Script(code[field], { filename: codeFileName(field) });
    } catch (error) {
      throw syntaxError(error, field);
    }
  }
  return {
    run(field) {
      try {
        scripts[field].runInContext(context);
      } catch (error) {
        throw runtimeError(error, field);
      }
    },
  };
}
