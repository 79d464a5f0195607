import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { intraOpThreads, type CgroupFiles } from './intra-op-threads.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fake /proc/self/{mountinfo,cgroup} and cgroup tree: `tree` maps paths under the fixture to file contents. */
function fixture(mountinfo: (root: string) => string, cgroup: string, tree: Record<string, string>): CgroupFiles {
  const root = mkdtempSync(join(tmpdir(), 'rw-cgroup-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  writeFileSync(join(root, 'mountinfo'), mountinfo(root));
  writeFileSync(join(root, 'cgroup'), cgroup);
  return { mountinfo: join(root, 'mountinfo'), cgroup: join(root, 'cgroup') };
}

const v2Mount = (root: string) => `35 24 0:30 / ${root}/cg rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n`;
const v1Mounts = (root: string) =>
  [
    `30 24 0:26 / ${root}/cg/memory rw,nosuid - cgroup cgroup rw,memory`,
    `31 24 0:27 /docker/abc ${root}/cg/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct`,
    `32 24 0:28 / ${root}/cg/unified rw,nosuid - cgroup2 cgroup2 rw`,
  ].join('\n');

describe('intraOpThreads', () => {
  it('takes a configured count as it is, whatever the machine', () => {
    expect(intraOpThreads(3, fixture(v2Mount, '0::/\n', { 'cg/cpu.max': '100000 100000\n' }), 64)).toEqual({ threads: 3, from: 'INFERENCE_INTRA_OP_THREADS' });
  });

  it('cgroup v2: the tightest cpu.max on the way from the process cgroup up, rounded up to whole CPUs', () => {
    const files = fixture(v2Mount, '0::/kubepods/pod1/ctr\n', {
      'cg/kubepods/pod1/ctr/cpu.max': 'max 100000\n',
      'cg/kubepods/pod1/cpu.max': '150000 100000\n',
      'cg/kubepods/cpu.max': '800000 100000\n',
    });
    expect(intraOpThreads(0, files, 32)).toEqual({ threads: 2, from: 'cgroup cpu.max' });
  });

  it('cgroup v2 in a container (its own cgroup mounted as the root): the quota there', () => {
    expect(intraOpThreads(0, fixture(v2Mount, '0::/\n', { 'cg/cpu.max': '400000 100000\n' }), 16)).toEqual({ threads: 4, from: 'cgroup cpu.max' });
  });

  it('cgroup v1: cpu.cfs_quota_us over cpu.cfs_period_us on the cpu controller, the mount root taken off the path', () => {
    const files = fixture(v1Mounts, '5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n', {
      'cg/cpu,cpuacct/cpu.cfs_quota_us': '300000\n',
      'cg/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
    });
    expect(intraOpThreads(0, files, 8)).toEqual({ threads: 3, from: 'cgroup cpu.cfs_quota_us' });
  });

  it('less than one CPU of quota still runs one thread', () => {
    expect(intraOpThreads(0, fixture(v2Mount, '0::/\n', { 'cg/cpu.max': '50000 100000\n' }), 8).threads).toBe(1);
  });

  it('no quota (max, -1), a quota above the CPUs, or nothing readable: the CPUs the process may run on', () => {
    const cases: CgroupFiles[] = [
      fixture(v2Mount, '0::/\n', { 'cg/cpu.max': 'max 100000\n' }),
      fixture(v1Mounts, '4:cpu,cpuacct:/docker/abc\n', { 'cg/cpu,cpuacct/cpu.cfs_quota_us': '-1\n', 'cg/cpu,cpuacct/cpu.cfs_period_us': '100000\n' }),
      fixture(v2Mount, '0::/\n', { 'cg/cpu.max': '1600000 100000\n' }),
      { mountinfo: '/nonexistent/mountinfo', cgroup: '/nonexistent/cgroup' },
    ];
    for (const files of cases) expect(intraOpThreads(0, files, 6)).toEqual({ threads: 6, from: 'available CPUs' });
  });

  it('on this machine: at least one thread and no more than the CPUs Node sees', () => {
    const { threads } = intraOpThreads(0);
    expect(threads).toBeGreaterThanOrEqual(1);
    expect(threads).toBeLessThanOrEqual(availableParallelism());
  });
});
