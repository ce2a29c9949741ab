// Node's garbage collector, asked through its own inspector: SIGUSR1 makes Node open the inspector
// on 127.0.0.1:9229 (or the next port given to --inspect-port), then the DevTools protocol's
// HeapProfiler.collectGarbage runs a full GC, with Runtime.getHeapUsage and process.memoryUsage()
// around it — the safe path: the target runs its own GC on its own thread. Measured here: a
// dropped-Buffers victim 344 → 43 MiB, collectGarbage 72-222 ms, the whole sequence 0.3-0.5 s.
// While the inspector is open any local process can connect to it and run code as the target, so
// memtide keeps it open for as short as it can, closes it (process._debugEnd()) on every way out,
// and first schedules a close inside the target in case memtide itself dies mid-probe.
import { readdir, readFile, readlink } from 'node:fs/promises';
import WebSocket from 'ws';
import { z } from 'zod';
import type { ProcessMemoryUsage } from '../../shared/record-parts.js';
import { stillSameProcess, type Identity } from './process-identity.js';

export interface Listener {
  port: number;
  inode: string;
}

/** Pure: LISTEN (0A) rows of /proc/PID/net/tcp{,6} whose socket inode is one of the process's. */
export function parseListeners(netTcp: string, inodes: ReadonlySet<string>): Listener[] {
  return netTcp.trim().split('\n').slice(1).flatMap((row) => {
    const c = row.trim().split(/\s+/);
    if (c[3] !== '0A' || !inodes.has(c[9] ?? '')) return [];
    return [{ port: parseInt(c[1]!.split(':')[1]!, 16), inode: c[9]! }];
  });
}

/** The TCP ports pid listens on, found by its own sockets' inodes: a port someone else holds is never taken for its. */
export async function listenersOf(pid: number): Promise<Listener[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    if (inode) inodes.add(inode);
  }
  const tables = await Promise.all(['tcp', 'tcp6'].map((f) => readFile(`/proc/${pid}/net/${f}`, 'latin1').catch(() => '')));
  return tables.flatMap((t) => parseListeners(t, inodes));
}

/** The port an inspector the process was started with listens on (--inspect[=host:]port, default 9229). */
export function inspectPortFromCommandLine(args: readonly string[]): number | undefined {
  for (const arg of args) {
    const m = /^--inspect(?:-brk|-wait)?(?:=(?:[^:]*:)?(\d+))?$/.exec(arg);
    if (m) return m[1] ? Number(m[1]) : 9229;
  }
  return undefined;
}

const Target = z.object({ webSocketDebuggerUrl: z.string() });
const Reply = z.object({ id: z.number(), result: z.unknown().optional(), error: z.object({ message: z.string() }).optional() });
const HeapUsage = z.object({ usedSize: z.number(), totalSize: z.number() });
const Evaluated = z.object({ result: z.object({ value: z.unknown().optional() }) });
const MemoryUsage = z.object({ rss: z.number(), heapTotal: z.number(), heapUsed: z.number(), external: z.number(), arrayBuffers: z.number() });

export interface InspectorGc {
  before: ProcessMemoryUsage;
  after: ProcessMemoryUsage;
  /** How long collectGarbage took: the target's main thread was in the GC that long. */
  pausedMs: number;
  /** Whether memtide opened the inspector (and closed it again). */
  opened: boolean;
  /** Closing failed or could not be confirmed: the inspector may still be open. */
  closeProblem?: string;
}

const CLOSE_KEY = "Symbol.for('memtide.inspector-close')";

export async function inspectorGc(target: Identity, timeoutMs: number): Promise<InspectorGc> {
  const deadline = performance.now() + timeoutMs;
  const left = () => Math.max(1, Math.ceil(deadline - performance.now()));
  const before = await listenersOf(target.pid);
  const cmdline = (await readFile(`/proc/${target.pid}/cmdline`, 'utf8')).split('\0');
  const declared = inspectPortFromCommandLine(cmdline);
  let port = declared !== undefined ? before.find((l) => l.port === declared)?.port : undefined;
  const opened = port === undefined;
  if (opened) {
    // The identity again, right before the signal: SIGUSR1 kills a process that does not handle it.
    if (!stillSameProcess(target)) throw new Error(`pid ${target.pid} has exited`);
    process.kill(target.pid, 'SIGUSR1');
    while (port === undefined && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      port = (await listenersOf(target.pid)).find((l) => !before.some((b) => b.inode === l.inode))?.port;
    }
    if (port === undefined) throw new Error(`the inspector did not open within ${timeoutMs} ms after SIGUSR1 (is port 9229 taken? Node then prints "Starting inspector on 127.0.0.1:9229 failed" on its stderr)`);
  }
  if (port === undefined) throw new Error('no inspector port'); // (for the type: both ways above set it)
  const inspectorPort = port;
  const list = z.array(Target).parse(await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`, { signal: AbortSignal.timeout(left()) })).json());
  const url = list.map((t) => new URL(t.webSocketDebuggerUrl)).find((u) => u.port === String(inspectorPort) && u.hostname === '127.0.0.1');
  if (!url) throw new Error(`the inspector on port ${inspectorPort} lists no debugger of its own`);
  const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: left() });
  let closeProblem: string | undefined;
  try {
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.on('error', () => undefined); // a later socket error fails the pending call by its timeout
    const call = rpc(socket, left);
    if (opened) {
      // A dead man's switch: closes the inspector in timeoutMs even if memtide dies right now.
      await call('Runtime.evaluate', { expression: `globalThis[${CLOSE_KEY}] = setTimeout(() => { try { process._debugEnd(); } catch {} }, ${timeoutMs}); globalThis[${CLOSE_KEY}].unref?.(); 0` });
    }
    const figures = async (): Promise<ProcessMemoryUsage> => {
      const heap = HeapUsage.parse(await call('Runtime.getHeapUsage', {}));
      const usage = Evaluated.parse(await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true }));
      const memory = typeof usage.result.value === 'string' ? MemoryUsage.safeParse(JSON.parse(usage.result.value)) : undefined;
      return memory?.success ? memory.data : { heapUsed: heap.usedSize, heapTotal: heap.totalSize };
    };
    const beforeFigures = await figures();
    const gcStart = performance.now();
    await call('HeapProfiler.collectGarbage', {});
    const pausedMs = performance.now() - gcStart;
    const afterFigures = await figures();
    if (opened) closeProblem = await closeInspector(call, target.pid, inspectorPort);
    return { before: beforeFigures, after: afterFigures, pausedMs, opened, ...(closeProblem && { closeProblem }) };
  } catch (error) {
    let problem: string | undefined = `the inspector of pid ${target.pid} on port ${inspectorPort} may still be open`;
    if (opened && socket.readyState === WebSocket.OPEN) problem = await closeInspector(rpc(socket, () => 1000), target.pid, inspectorPort).catch(() => problem);
    if (opened && problem) (error as Error).message += ` (${problem})`;
    throw error;
  } finally {
    socket.terminate();
  }
}

/** process._debugEnd() a moment later (it closes the socket this very call answers on), then
 * checks the port is gone. Anything scheduled in the target is wrapped in try/catch: an exception
 * thrown there would crash it (seen with require('inspector').close(): ReferenceError). */
async function closeInspector(call: ReturnType<typeof rpc>, pid: number, port: number): Promise<string | undefined> {
  await call('Runtime.evaluate', { expression: `clearTimeout(globalThis[${CLOSE_KEY}]); delete globalThis[${CLOSE_KEY}]; setTimeout(() => { try { process._debugEnd(); } catch {} }, 20); 0` });
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 10));
    if (!(await listenersOf(pid).catch(() => [])).some((l) => l.port === port)) return undefined;
  }
  return `the inspector of pid ${pid} on port ${port} did not close within 1 s`;
}

function rpc(socket: WebSocket, left: () => number) {
  let nextId = 1;
  const waiting = new Map<number, (reply: z.infer<typeof Reply>) => void>();
  socket.on('message', (data) => {
    let reply: ReturnType<typeof Reply.safeParse> | undefined;
    try {
      reply = Reply.safeParse(JSON.parse(data.toString()));
    } catch {
      return; // not JSON: not an answer to anything asked
    }
    if (reply.success) waiting.get(reply.data.id)?.(reply.data);
  });
  return (method: string, params: object) => new Promise<unknown>((resolve, reject) => {
    const id = nextId++;
    const timer = setTimeout(() => reject(new Error(`${method}: no answer in time`)), left());
    waiting.set(id, (reply) => {
      clearTimeout(timer);
      waiting.delete(id);
      if (reply.error) reject(new Error(`${method}: ${reply.error.message}`));
      else resolve(reply.result);
    });
    socket.send(JSON.stringify({ id, method, params }));
  });
}
