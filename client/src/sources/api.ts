// Calls to the HTTP API; every answer is checked against the shared schemas.
import { z } from 'zod';
import type { SavedExperimentBody } from '../../../shared/custom/code.js';
import {
  ApiError, CreateMatrixAnswer, CreateRunAnswer, CreateWatchAnswer, CustomExperimentsAnswer, ExperimentsAnswer, MarkerAnswer, MatrixAnswer, OkAnswer,
  ProbeAnswer, ProcessListAnswer, RunAnswer, RunListPage, runListSearch, SavedExperimentAnswer, WatchAnswer, type CreateMatrixBody, type CreateRunBody,
  type CreateWatchBody, type RunListQuery,
} from '../../../shared/protocol/http.js';
import type { ProbeKind } from '../../../shared/watch-record.js';
import { describeZodError } from '../../../shared/validation.js';
import { readDataBlock } from './data-block.js';
import { tokenHeaders } from './token.js';
import { CATALOG_DATA_ID } from '../../../shared/catalog/page-data.js';
import type { Experiment } from '../../../shared/catalog/experiment.js';

async function call<T>(path: string, schema: z.ZodType<T>, init?: RequestInit): Promise<T> {
  const response = await fetch(path, { ...init, headers: { 'content-type': 'application/json', ...tokenHeaders(), ...init?.headers } });
  const json: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = ApiError.safeParse(json);
    throw new Error(error.success ? error.data.error : `${response.status} ${response.statusText}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new Error(`unexpected answer from ${path}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

const runPath = (id: string) => `/api/runs/${encodeURIComponent(id)}`;

export const startRun = (body: CreateRunBody) =>
  call('/api/runs', CreateRunAnswer, { method: 'POST', body: JSON.stringify(body) });

export const cancelRun = (id: string) => call(`${runPath(id)}/cancel`, OkAnswer, { method: 'POST' });

export const fetchRun = (id: string) => call(runPath(id), RunAnswer);

export const fetchRunPage = (query: RunListQuery) => call(`/api/runs${runListSearch(query)}`, RunListPage);

export const deleteRun = (id: string) => call(runPath(id), OkAnswer, { method: 'DELETE' });

/** The catalog, for a page that does not carry it (the Vite dev server's, which preloads it: see index.html). */
export const fetchCatalog = () => call('/api/experiments', ExperimentsAnswer);

/**
 * The catalog the server wrote into the page (shared/catalog/page-data.ts), checked like an answer;
 * undefined where there is none (the Vite dev server's page) or it is not a catalog.
 */
export function embeddedCatalog(): Experiment[] | undefined {
  if (!document.getElementById(CATALOG_DATA_ID)?.textContent) return undefined;
  const read = readDataBlock(CATALOG_DATA_ID, ExperimentsAnswer);
  if (read.ok) return read.data;
  console.warn(`memtide: the page's catalog was ignored: ${read.error}`);
  return undefined;
}

export const startMatrix = (body: CreateMatrixBody) =>
  call('/api/matrices', CreateMatrixAnswer, { method: 'POST', body: JSON.stringify(body) });

export const fetchMatrix = (id: string) => call(`/api/matrices/${encodeURIComponent(id)}`, MatrixAnswer);

const customPath = (id?: string) => `/api/experiments/custom${id === undefined ? '' : `/${encodeURIComponent(id)}`}`;

/** Whether code may run here, and the saved custom experiments. */
export const fetchCustom = () => call(customPath(), CustomExperimentsAnswer);

/** Saves a new custom experiment, or replaces saved experiment `id`. */
export const saveCustom = (body: SavedExperimentBody, id?: string) =>
  call(customPath(id), SavedExperimentAnswer, { method: id === undefined ? 'POST' : 'PUT', body: JSON.stringify(body) });

export const deleteCustom = (id: string) => call(customPath(id), OkAnswer, { method: 'DELETE' });

// ---- watching a running process ----
const watchPath = (id: string) => `/api/watches/${encodeURIComponent(id)}`;

export const fetchProcesses = () => call('/api/processes', ProcessListAnswer);

export const startWatch = (body: CreateWatchBody) =>
  call('/api/watches', CreateWatchAnswer, { method: 'POST', body: JSON.stringify(body) });

/** A watch's record, live or ended (GET /api/runs knows only ended ones). */
export const fetchWatch = (id: string) => call(watchPath(id), WatchAnswer);

export const addMarker = (id: string, label: string) =>
  call(`${watchPath(id)}/markers`, MarkerAnswer, { method: 'POST', body: JSON.stringify({ label }) });

/** Answers once the probe has ended and RSS was read again (a few seconds at most: gdb's limit is 10 s). */
export const runProbe = (id: string, kind: ProbeKind) =>
  call(`${watchPath(id)}/probe`, ProbeAnswer, { method: 'POST', body: JSON.stringify({ kind }) });

export const stopWatch = (id: string) => call(`${watchPath(id)}/stop`, OkAnswer, { method: 'POST' });
