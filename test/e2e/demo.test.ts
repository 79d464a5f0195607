import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../support/cli.ts';
import { alive, descendants } from '../support/processes.ts';

function processesMatching(text: string): string[] {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(text) && !line.includes('ps -eo'));
}

describe('riverwatch demo', () => {
  let run: CliRun | undefined;
  let dataDir: string | undefined;

  afterEach(() => {
    if (run?.child.exitCode === null) run.child.kill('SIGKILL');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts its own Redis and S3, streams the demo camera through the pipeline, and leaves nothing running after Ctrl-C', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rw-demo-'));
    run = runCli(['demo'], {
      DATA_DIR: dataDir,
      PORT: '0',
      GRPC_PORT: '0',
      INFERENCE_METRICS_PORT: '0',
      WORKER_METRICS_PORT: '0',
      INGEST_METRICS_PORT: '0',
      HOST: '127.0.0.1',
    });
    const [, port] = await run.waitFor(/API:\s+http:\/\/localhost:(\d+)\/v1/, 120_000);
    const [, key] = await run.waitFor(/Admin key:\s+(\S+)/);
    await run.waitFor(/first analysed frame frm_/, 120_000);

    // The demo camera's frames made it through ingest, the worker and into the API's history.
    const cameras = (await (await fetch(`http://127.0.0.1:${port}/v1/cameras`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
      items: { id: string; name: string }[];
    };
    const demo = cameras.items.find((c) => c.name === 'Demo river')!;
    const history = (await (await fetch(`http://127.0.0.1:${port}/v1/cameras/${demo.id}/history`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
      latest: { frameId: string } | null;
    };
    expect(history.latest?.frameId).toMatch(/^frm_/);
    // It started its own servers: redis-server (which renames its process to its address) and the S3 server under DATA_DIR.
    const [, redisPort] = run.output().match(/"redisUrl":"redis:\/\/127\.0\.0\.1:(\d+)"/)!;
    expect(processesMatching(`redis-server 127.0.0.1:${redisPort}`)).toHaveLength(1);
    expect(processesMatching(dataDir).some((l) => l.includes('s3rver'))).toBe(true);

    // Its processes (the demo camera's ffmpeg among them), by ancestry: other tests may run ffmpeg on the same clip.
    const children = descendants(run.child.pid!);
    const listed = children.map((c) => `${c.pid} ${c.args}`).join('\n');
    expect(children.some((c) => c.args.includes('ffmpeg') && c.args.includes('river-demo.mp4')), listed).toBe(true);

    run.child.kill('SIGINT');
    const { code } = await run.exited;
    expect(code, run.output().slice(-2000)).toBe(0);
    expect(processesMatching(dataDir)).toEqual([]);
    expect(processesMatching(`redis-server 127.0.0.1:${redisPort}`)).toEqual([]);
    expect(children.filter((c) => alive(c.pid)).map((c) => c.args), run.output().slice(-2000)).toEqual([]);
  });
});
