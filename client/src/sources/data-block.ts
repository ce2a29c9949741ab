// A JSON data block of this page (shared/report.ts dataBlock): a report's runs, the dashboard's
// catalog. Read and checked against its schema; what was wrong, said as text.
import type { z } from 'zod';
import { describeZodError } from '../../../shared/validation.js';

export type BlockRead<T> = { ok: true; data: T } | { ok: false; error: string };

/** The block's value checked by `schema` (a missing block reads as null). */
export function readDataBlock<T>(id: string, schema: z.ZodType<T>): BlockRead<T> {
  let json: unknown;
  try {
    json = JSON.parse(document.getElementById(id)?.textContent ?? 'null');
  } catch (error) {
    return { ok: false, error: `not JSON: ${(error as Error).message}` };
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? { ok: true, data: parsed.data } : { ok: false, error: describeZodError(parsed.error) };
}
