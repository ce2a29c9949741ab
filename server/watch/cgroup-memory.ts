// The memory cgroup a process is in, and its figures: what the OOM killer and `docker stats` go by.
// v2: memory.current, memory.max, memory.stat anon/file; v1: memory.usage_in_bytes,
// memory.limit_in_bytes, memory.stat total_rss/total_cache (hierarchical). Machines can be hybrid
// (this one: memory on v1, an empty cgroup2 at /sys/fs/cgroup/unified), so the hierarchy that has
// the memory controller is the one used. Sources: cgroups(7), Documentation/admin-guide/cgroup-v{1,2}.
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import type { CgroupMemory } from '../../shared/watch-record.js';

export interface CgroupLocation {
  version: 1 | 2;
  /** The cgroup's directory as this process sees it. */
  dir: string;
}

interface CgroupLine {
  id: string;
  controllers: string[];
  path: string;
}

/** /proc/PID/cgroup: "hierarchy-id:controllers:path" per line ("0::/path" is v2). */
export function parseProcCgroup(text: string): CgroupLine[] {
  return text.trim().split('\n').filter(Boolean).map((line) => {
    const [id = '', controllers = '', ...path] = line.split(':');
    return { id, controllers: controllers.split(',').filter(Boolean), path: path.join(':') };
  });
}

interface Mount {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

/** /proc/self/mountinfo: fields 4 (root) and 5 (mount point), then after " - ": type, source, super options. */
export function parseMountinfo(text: string): Mount[] {
  return text.trim().split('\n').flatMap((line) => {
    const [before, after] = line.split(' - ');
    if (!before || !after) return [];
    const f = before.split(' ');
    const [fsType = '', , options = ''] = after.split(' ');
    return [{ root: f[3] ?? '/', mountPoint: (f[4] ?? '').replace(/\\040/g, ' '), fsType, superOptions: options.split(',') }];
  });
}

/** Pure: where the memory cgroup of a process lives, from its cgroup lines and our mounts. */
export function locateMemoryCgroup(lines: CgroupLine[], mounts: Mount[], exists: (path: string) => boolean): CgroupLocation | undefined {
  const join = (mount: Mount, path: string) => {
    const relative = mount.root !== '/' && path.startsWith(mount.root) ? path.slice(mount.root.length) : path;
    return posix.join(mount.mountPoint, relative);
  };
  const v1 = lines.find((l) => l.controllers.includes('memory'));
  const v1Mount = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes('memory'));
  if (v1 && v1Mount) {
    const dir = join(v1Mount, v1.path);
    if (exists(posix.join(dir, 'memory.usage_in_bytes'))) return { version: 1, dir };
  }
  const v2 = lines.find((l) => l.id === '0' && l.controllers.length === 0);
  const v2Mount = mounts.find((m) => m.fsType === 'cgroup2');
  if (v2 && v2Mount) {
    const dir = join(v2Mount, v2.path);
    // The root cgroup has no memory.current; nor has a hierarchy without the memory controller.
    if (exists(posix.join(dir, 'memory.current'))) return { version: 2, dir };
  }
  return undefined;
}

export function locateProcessCgroup(pid: number): CgroupLocation | undefined {
  try {
    return locateMemoryCgroup(parseProcCgroup(readFileSync(`/proc/${pid}/cgroup`, 'utf8')), parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')), existsSync);
  } catch {
    return undefined;
  }
}

/** "key value" lines → numbers. */
export function parseMemoryStat(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.split(' ');
    if (key && value !== undefined) out.set(key, Number(value));
  }
  return out;
}

/** v1 reports "no limit" as a huge page-rounded number (9223372036854771712), v2 as "max". */
export function parseLimit(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === 'max') return undefined;
  const n = Number(trimmed);
  return Number.isFinite(n) && n < 2 ** 62 ? n : undefined;
}

export function readCgroupMemory(where: CgroupLocation, t: number): CgroupMemory | undefined {
  const file = (name: string) => readFileSync(posix.join(where.dir, name), 'utf8');
  try {
    const stat = parseMemoryStat(file('memory.stat'));
    const limit = parseLimit(file(where.version === 2 ? 'memory.max' : 'memory.limit_in_bytes'));
    const usage = Number(file(where.version === 2 ? 'memory.current' : 'memory.usage_in_bytes').trim());
    const [anon, fileBytes] = where.version === 2 ? [stat.get('anon'), stat.get('file')] : [stat.get('total_rss'), stat.get('total_cache')];
    return { t, version: where.version, usage, ...(limit !== undefined && { limit }), anon: anon ?? 0, file: fileBytes ?? 0 };
  } catch {
    return undefined; // removed, or not readable by this user
  }
}
