// Helpers every boundary uses to check input and say, briefly, what is wrong with it.
import { z } from 'zod';

/** Longest piece of a caller's input an error message quotes back. */
export const QUOTE_MAX = 80;

/** The input as JSON, cut to QUOTE_MAX characters: an error names the bad value without echoing 60 KB of it. */
export function quote(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX - 1)}…` : text;
}

/** A field path for messages, with overlong keys cut. */
const pathOf = (parts: readonly (string | number | symbol)[]): string =>
  parts.map((p) => {
    const s = String(p);
    return s.length > 40 ? `${s.slice(0, 39)}…` : s;
  }).filter(Boolean).join('.');

/** "field: what is wrong" for the first few issues, so an error names what to fix. */
export function describeZodError(error: z.ZodError, prefix = ''): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.slice(0, 3).map((key) => `${pathOf([prefix, ...issue.path, key])}: unknown field`);
      return keys.join('; ') + (issue.keys.length > 3 ? ` (and ${issue.keys.length - 3} more)` : '');
    }
    const path = pathOf([prefix, ...issue.path]);
    const message = issue.message.length > 200 ? `${issue.message.slice(0, 199)}…` : issue.message;
    return path && !message.startsWith(`${path}:`) ? `${path}: ${message}` : message;
  });
  return [...new Set(parts)].join('; ');
}

/** Rejects an own "__proto__" key (JSON.parse keeps one), which z.record would drop silently. */
export const withoutProtoKey = <T extends z.ZodType>(schema: T) =>
  z.unknown().superRefine((value, ctx) => {
    if (typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__')) {
      ctx.addIssue({ code: 'custom', path: ['__proto__'], message: 'unknown parameter' });
    }
  }).pipe(schema);
