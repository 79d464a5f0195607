/**
 * Redis's own counters, read with INFO from every server of a deployment (each master
 * of a cluster) and summed: what the pipeline costs Redis, independent of the client.
 */
import { execFileSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { ID_PATTERN, createRedis } from '@riverwatch/common';

export interface RedisStats {
  /** Calls per command (lower case, `cmdstat_` dropped; subcommands as `client|setname`). */
  commands: Record<string, number>;
  netInputBytes: number;
  netOutputBytes: number;
  usedMemory: number;
  /** used_cpu_sys + used_cpu_user. */
  cpuSeconds: number;
}

/** Parses `INFO` text: the command table and the few counters used here. */
export function parseInfo(text: string): RedisStats {
  const stats: RedisStats = { commands: {}, netInputBytes: 0, netOutputBytes: 0, usedMemory: 0, cpuSeconds: 0 };
  for (const line of text.split(/\r?\n/)) {
    const cmd = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (cmd) stats.commands[cmd[1]!] = Number(cmd[2]);
    const field = /^(total_net_input_bytes|total_net_output_bytes|used_memory):(\d+)$/.exec(line);
    if (field?.[1] === 'total_net_input_bytes') stats.netInputBytes = Number(field[2]);
    if (field?.[1] === 'total_net_output_bytes') stats.netOutputBytes = Number(field[2]);
    if (field?.[1] === 'used_memory') stats.usedMemory = Number(field[2]);
    const cpu = /^used_cpu_(sys|user):([\d.]+)$/.exec(line);
    if (cpu) stats.cpuSeconds += Number(cpu[2]);
  }
  return stats;
}

/**
 * Reads every server's INFO through one connection each, opened once, so that between
 * two readings Redis counts exactly one `info` call per server that is the reader's.
 */
export class RedisStatsReader {
  private readonly clients;

  constructor(readonly nodeUrls: string[]) {
    this.clients = nodeUrls.map((url) => createRedis(url));
  }

  get servers(): number {
    return this.clients.length;
  }

  async read(): Promise<RedisStats> {
    const perNode = await Promise.all(this.clients.map(async (c) => parseInfo(await c.info('everything'))));
    const total: RedisStats = { commands: {}, netInputBytes: 0, netOutputBytes: 0, usedMemory: 0, cpuSeconds: 0 };
    for (const s of perNode) {
      for (const [cmd, n] of Object.entries(s.commands)) total.commands[cmd] = (total.commands[cmd] ?? 0) + n;
      total.netInputBytes += s.netInputBytes;
      total.netOutputBytes += s.netOutputBytes;
      total.usedMemory += s.usedMemory;
      total.cpuSeconds += s.cpuSeconds;
    }
    return total;
  }

  close(): void {
    for (const c of this.clients) c.disconnect();
  }
}

export interface RedisTraffic {
  /** Commands the services ran between the two readings, by command, most first. */
  commands: Record<string, number>;
  totalCommands: number;
  netBytes: number;
}

/**
 * What the services did between two readings of one RedisStatsReader: the first reading's
 * own INFO (one per server) is the reader's, not the services', and is left out.
 */
export function trafficBetween(before: RedisStats, after: RedisStats, servers: number): RedisTraffic {
  const counts: [string, number][] = [];
  for (const [cmd, n] of Object.entries(after.commands)) {
    const own = cmd === 'info' ? servers : 0;
    const delta = n - (before.commands[cmd] ?? 0) - own;
    if (delta > 0) counts.push([cmd, delta]);
  }
  counts.sort((a, b) => b[1] - a[1]);
  return {
    commands: Object.fromEntries(counts),
    totalCommands: counts.reduce((sum, [, n]) => sum + n, 0),
    netBytes: after.netInputBytes - before.netInputBytes + (after.netOutputBytes - before.netOutputBytes),
  };
}

export interface CommandSources {
  /** Commands the services sent (each MULTI/EXEC member counts, as in commandstats). */
  sent: Record<string, number>;
  /** Commands run inside Lua scripts (BullMQ's job moves are EVALSHA scripts). */
  inScripts: Record<string, number>;
  /** All commands by the client address (host:port) that sent them; a script's commands go to the client that ran it. */
  byClient: Record<string, number>;
  /** All commands by the family of the key they touch (`keyFamily`), as `command key-family`. */
  byKey: Record<string, number>;
}

/** Commands whose first argument is no key. */
const KEYLESS = new Set(['multi', 'exec', 'discard', 'ping', 'info', 'client', 'select', 'cluster', 'script', 'hello', 'readonly', 'monitor']);

/**
 * A key with its ids taken out, so keys of one kind count together: a hash tag other than
 * the queues' (`{<prefix>:q}`) becomes `{*}` (a camera id), and a segment that is an id (`newId`:
 * frame, batch, alert ids), a uuid or holds a digit run (BullMQ job ids) becomes `*`.
 * `rw:cam:{cam-3}:live` -> `rw:cam:{*}:live`, `{rw:q}:frames:f-12` -> `{rw:q}:frames:*`.
 */
export function keyFamily(key: string): string {
  return key
    .replace(/\{(?![^}]*:q\})[^}]*\}/g, '{*}')
    .split(':')
    .map((seg) => (!seg.includes('{') && (ID_PATTERN.test(seg) || /\d{2,}|^[0-9a-f-]{16,}$/i.test(seg)) ? '*' : seg))
    .join(':');
}

/** `command key-family` for one MONITOR line's quoted arguments (a script call: its first key). */
function commandKey(cmd: string, args: string[]): string {
  if (KEYLESS.has(cmd)) return cmd;
  const key = cmd === 'evalsha' || cmd === 'eval' ? (Number(args[1]) > 0 ? args[2] : undefined) : args[0];
  return key === undefined ? cmd : `${cmd} ${keyFamily(key)}`;
}

/**
 * Counts commands by where they came from, with MONITOR on every server: a client's
 * command is logged as `[db host:port] "cmd" ...`, a script's as `[db lua] "cmd" ...`.
 * MONITOR costs Redis time and copies every argument (frame bytes too), so it runs
 * only in a sample window of its own, never while throughput is measured.
 */
export class CommandSourceSampler {
  private readonly sockets: Socket[] = [];
  private readonly counts: CommandSources = { sent: {}, inScripts: {}, byClient: {}, byKey: {} };

  private constructor() {}

  static async start(nodeUrls: string[]): Promise<CommandSourceSampler> {
    const sampler = new CommandSourceSampler();
    await Promise.all(nodeUrls.map((url) => sampler.monitor(new URL(url))));
    return sampler;
  }

  private monitor(url: URL): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname);
      this.sockets.push(socket);
      let buffered = '';
      let started = false;
      // A script's commands are logged right after the EVAL/EVALSHA that ran them.
      let lastClient = '';
      socket.setEncoding('latin1');
      socket.once('error', reject);
      socket.on('connect', () => socket.write('MONITOR\r\n'));
      socket.on('data', (chunk: string) => {
        buffered += chunk;
        let end: number;
        while ((end = buffered.indexOf('\r\n')) >= 0) {
          const line = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          if (!started) {
            if (line !== '+OK') return reject(new Error(`MONITOR refused by ${url.host}: ${line}`));
            started = true;
            resolve();
            continue;
          }
          const m = /^\+[\d.]+ \[\d+ ([^\]]+)\] "([^"]+)"(.*)$/.exec(line);
          if (!m) continue;
          const table = m[1] === 'lua' ? this.counts.inScripts : this.counts.sent;
          const cmd = m[2]!.toLowerCase();
          table[cmd] = (table[cmd] ?? 0) + 1;
          // The first few arguments are enough for the key (frame bytes come later in a SET).
          const args = [...m[3]!.slice(0, 400).matchAll(/ "((?:[^"\\]|\\.)*)"/g)].slice(0, 3).map((a) => a[1]!);
          const byKey = commandKey(cmd, args);
          this.counts.byKey[byKey] = (this.counts.byKey[byKey] ?? 0) + 1;
          if (m[1] !== 'lua') lastClient = m[1]!;
          this.counts.byClient[lastClient] = (this.counts.byClient[lastClient] ?? 0) + 1;
        }
      });
    });
  }

  /** Stops monitoring and returns the counts, each table most first. */
  stop(): CommandSources {
    for (const s of this.sockets) s.destroy();
    const sorted = (t: Record<string, number>) => Object.fromEntries(Object.entries(t).sort((a, b) => b[1] - a[1]));
    return { sent: sorted(this.counts.sent), inScripts: sorted(this.counts.inScripts), byClient: this.counts.byClient, byKey: sorted(this.counts.byKey) };
  }
}

/** Which process holds each local TCP client address (host:port -> pid), from `ss -tnp`. */
export function tcpClientPids(): Map<string, number> {
  const owners = new Map<string, number>();
  for (const line of execFileSync('ss', ['-tnpH'], { encoding: 'utf8' }).split('\n')) {
    const m = /^\S+\s+\d+\s+\d+\s+(\S+)\s+\S+\s+users:\(\("[^"]*",pid=(\d+)/.exec(line.trim());
    if (m) owners.set(m[1]!, Number(m[2]));
  }
  return owners;
}
