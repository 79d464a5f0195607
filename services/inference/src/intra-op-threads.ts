import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';

export interface IntraOpThreads {
  /** onnxruntime intra-op threads per session. */
  threads: number;
  /** Where the count came from (the start-up log says it). */
  from: 'INFERENCE_INTRA_OP_THREADS' | 'cgroup cpu.max' | 'cgroup cpu.cfs_quota_us' | 'available CPUs';
}

/** Where the process's cgroups are read from; tests point it at fixture files. */
export interface CgroupFiles {
  /** /proc/self/mountinfo */
  mountinfo: string;
  /** /proc/self/cgroup */
  cgroup: string;
}

const PROC: CgroupFiles = { mountinfo: '/proc/self/mountinfo', cgroup: '/proc/self/cgroup' };

/**
 * onnxruntime's intra-op threads for each session of this server. Left at 0, onnxruntime starts one
 * thread per physical core of the *machine*: in a container given 2 CPUs of a 32-core node that is 32
 * threads per session taking turns on 2 CPUs (on 2 CPUs, 8 threads instead of 2 made a tiled frame
 * 15-31% slower and cost the server 11-20% of its frames per second: docs/benchmarks.md, "Intra-op
 * threads and instances on CPU").
 * So: the configured count (INFERENCE_INTRA_OP_THREADS) when it is set, else the CPUs this process
 * may use: the smallest CPU quota of its cgroup and the cgroups above it (cgroup v2 cpu.max, v1
 * cpu.cfs_quota_us, rounded up), and the CPUs it may run on (affinity), whichever is less.
 */
export function intraOpThreads(configured: number, files: CgroupFiles = PROC, cpus = availableParallelism()): IntraOpThreads {
  if (configured > 0) return { threads: configured, from: 'INFERENCE_INTRA_OP_THREADS' };
  const quota = cgroupCpuQuota(files);
  if (quota && quota.cpus < cpus) return { threads: quota.cpus, from: quota.from };
  return { threads: Math.max(1, cpus), from: 'available CPUs' };
}

interface CgroupMount {
  /** The cgroup path mounted there (mountinfo's root field: `/` on a host, the container's own cgroup otherwise). */
  root: string;
  mountPoint: string;
  version: 1 | 2;
  controllers: string[];
}

/** The whole CPUs of the tightest CPU quota on this process's cgroup path, if any; undefined when none or unreadable. */
function cgroupCpuQuota(files: CgroupFiles): { cpus: number; from: IntraOpThreads['from'] } | undefined {
  const mounts = readText(files.mountinfo)?.split('\n').flatMap(parseMount) ?? [];
  let best: { cpus: number; from: IntraOpThreads['from'] } | undefined;
  for (const line of readText(files.cgroup)?.split('\n') ?? []) {
    // hierarchy-id:controllers:path ("0::/path" is cgroup v2)
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const version = m[1] === '0' && m[2] === '' ? 2 : 1;
    if (version === 1 && !m[2]!.split(',').includes('cpu')) continue;
    const mount = mounts.find((x) => x.version === version && (version === 2 || x.controllers.includes('cpu')));
    if (!mount) continue;
    const path = m[3]!;
    const inRoot = mount.root !== '/' && (path === mount.root || path.startsWith(`${mount.root}/`));
    const rel = inRoot ? path.slice(mount.root.length) : path;
    // The process's own cgroup, then each parent up to the mount point: any of them may hold the limit.
    for (let dir = under(mount.mountPoint, rel); ; dir = dirname(dir)) {
      const cpus = version === 2 ? cpuMax(dir) : cfsQuota(dir);
      if (cpus !== undefined && (!best || cpus < best.cpus)) best = { cpus, from: version === 2 ? 'cgroup cpu.max' : 'cgroup cpu.cfs_quota_us' };
      if (dir.length <= mount.mountPoint.length) break;
    }
  }
  return best;
}

/** One /proc/self/mountinfo line: "id parent major:minor root mountpoint options - fstype source superoptions". */
function parseMount(line: string): CgroupMount[] {
  const [left, right] = line.split(' - ');
  if (!left || !right) return [];
  const f = left.split(' ');
  const [fstype, , superOptions = ''] = right.split(' ');
  if (fstype !== 'cgroup' && fstype !== 'cgroup2') return [];
  return [{ root: unescape(f[3] ?? '/'), mountPoint: unescape(f[4] ?? ''), version: fstype === 'cgroup2' ? 2 : 1, controllers: superOptions.split(',') }];
}

/** cgroup v2: "max 100000" (no limit) or "200000 100000" (2 CPUs). */
function cpuMax(dir: string): number | undefined {
  const [quota, period] = (readText(`${dir}/cpu.max`)?.trim() ?? '').split(/\s+/);
  return wholeCpus(Number(quota), Number(period));
}

/** cgroup v1: cpu.cfs_quota_us (-1: no limit) over cpu.cfs_period_us. */
function cfsQuota(dir: string): number | undefined {
  return wholeCpus(Number(readText(`${dir}/cpu.cfs_quota_us`)), Number(readText(`${dir}/cpu.cfs_period_us`)));
}

function wholeCpus(quota: number, period: number): number | undefined {
  if (!(quota > 0) || !(period > 0)) return undefined; // "max", -1, missing
  return Math.max(1, Math.ceil(quota / period));
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** mountinfo escapes spaces and the like as \040. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** A cgroup path (relative to the mount's root) as a directory under the mount point. */
function under(mountPoint: string, rel: string): string {
  return (mountPoint + (rel === '/' ? '' : rel)).replace(/\/+$/, '') || '/';
}
