import type { Logger } from '@riverwatch/common';
import { notFound } from './infer-error.ts';
import { LoadedModel, type EngineOptions } from './loaded-model.ts';
import { ModelRepository } from './model-repository.ts';

interface ServedModel {
  name: string;
  /** Version string -> loaded version; the highest number is the default. */
  versions: Map<string, LoadedModel>;
  fingerprint: string;
}

/**
 * The models being served. Loads from the repository, swaps in a reloaded
 * model only once it is ready, and lets the old one finish what it holds.
 */
export class ModelManager {
  private readonly models = new Map<string, ServedModel>();
  /** Unloaded by RPC: polling leaves these alone until a load RPC. */
  private readonly pinnedOut = new Set<string>();
  /** Fingerprints that failed to load: not retried until the files change again. */
  private readonly failed = new Map<string, string>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private cudaFallbackLogged = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;

  constructor(
    readonly repository: ModelRepository,
    private readonly engine: EngineOptions,
    private readonly logger: Logger,
    /** Runs before each poll (an S3 repository mirrors its prefix into `repository` here). */
    private readonly refresh?: () => Promise<void>,
  ) {}

  /** A model that fails to load is logged and skipped, except that with requireGpu start-up fails. */
  async loadAll(): Promise<void> {
    for (const name of await this.repository.list()) {
      await this.load(name).catch((err: Error) => {
        if (this.engine.requireGpu) throw err;
        this.logger.error({ model: name, err: err.message }, 'model failed to load');
      });
    }
  }

  /** The version asked for, or the highest; NOT_FOUND names what is available. */
  get(name: string, version = ''): LoadedModel {
    const served = this.models.get(name);
    if (!served) throw notFound(`model '${name}' is not loaded`);
    if (!version) return served.versions.get(highest(served.versions.keys()))!;
    const model = served.versions.get(version);
    if (!model) throw notFound(`model '${name}' has no version '${version}' (loaded: ${[...served.versions.keys()].join(', ')})`);
    return model;
  }

  has(name: string, version = ''): boolean {
    const served = this.models.get(name);
    return !!served && (!version || served.versions.has(version));
  }

  versions(name: string): string[] {
    return [...(this.models.get(name)?.versions.keys() ?? [])];
  }

  names(): string[] {
    return [...this.models.keys()];
  }

  /** Loads (or reloads) a model from the repository; the old one serves until the new one is ready. */
  load(name: string): Promise<void> {
    this.pinnedOut.delete(name);
    return this.exclusive(name, () => this.loadNow(name));
  }

  unload(name: string): Promise<void> {
    this.pinnedOut.add(name);
    return this.exclusive(name, async () => {
      const served = this.models.get(name);
      if (!served) throw notFound(`model '${name}' is not loaded`);
      this.models.delete(name);
      this.logger.info({ model: name }, 'model unloaded');
      await stopAll(served.versions);
    });
  }

  /** Watches the repository: new, changed and removed models, every intervalMs. */
  startPolling(intervalMs: number): void {
    if (intervalMs <= 0) return;
    const tick = () => {
      this.polling = this.poll()
        .catch((err: Error) => this.logger.error({ err: err.message }, 'model repository poll failed'))
        .finally(() => {
          if (!this.stopped) this.pollTimer = setTimeout(tick, intervalMs);
        });
    };
    this.pollTimer = setTimeout(tick, intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    await this.polling;
    await Promise.all([...this.locks.values()].map((p) => p.catch(() => {})));
    const all = [...this.models.values()];
    this.models.clear();
    await Promise.all(all.map((s) => stopAll(s.versions)));
  }

  private async poll(): Promise<void> {
    if (this.refresh) {
      await this.refresh().catch((err: Error) => this.logger.error({ err: err.message }, 'model repository refresh failed; serving what is loaded'));
    }
    const onDisk = new Set(await this.repository.list());
    for (const name of onDisk) {
      if (this.stopped || this.pinnedOut.has(name)) continue;
      const fp = await this.repository.fingerprint(name);
      if (!fp || fp === this.models.get(name)?.fingerprint || fp === this.failed.get(name)) continue;
      this.logger.info({ model: name }, this.models.has(name) ? 'model files changed; reloading' : 'new model in repository; loading');
      await this.exclusive(name, () => this.loadNow(name)).catch((err: Error) =>
        this.logger.error({ model: name, err: err.message }, 'model reload failed; the loaded version keeps serving'),
      );
    }
    for (const name of this.models.keys()) {
      if (onDisk.has(name) || this.stopped) continue;
      this.logger.info({ model: name }, 'model removed from repository; unloading');
      await this.exclusive(name, async () => {
        const served = this.models.get(name);
        this.models.delete(name);
        if (served) await stopAll(served.versions);
      });
    }
  }

  private async loadNow(name: string): Promise<void> {
    const disk = await this.repository.read(name);
    if (!disk) throw notFound(`model '${name}' is not in the repository ${this.repository.root}`);
    if (!disk.versions.size) throw notFound(`model '${name}' has no version with a model.onnx`);
    const loaded = new Map<string, LoadedModel>();
    try {
      for (const [version, path] of disk.versions) {
        const model = await LoadedModel.load(disk.config, version, path, this.engine, this.logger.child({ model: name, version }));
        loaded.set(version, model);
        this.noteProvider(model);
      }
    } catch (err) {
      this.failed.set(name, disk.fingerprint);
      await stopAll(loaded);
      throw err;
    }
    this.failed.delete(name);
    const previous = this.models.get(name);
    this.models.set(name, { name, versions: loaded, fingerprint: disk.fingerprint });
    const first = [...loaded.values()][0];
    this.logger.info({ model: name, versions: [...loaded.keys()], provider: first.provider, maxBatchSize: disk.config.maxBatchSize, instances: disk.config.instances }, previous ? 'model reloaded' : 'model loaded');
    // In-flight requests hold the old LoadedModel; they finish before its sessions end.
    if (previous) await stopAll(previous.versions);
  }

  private noteProvider(model: LoadedModel): void {
    if (!model.fallback || this.cudaFallbackLogged) return;
    this.cudaFallbackLogged = true;
    this.logger.warn({ reason: model.fallback }, 'CUDA execution provider unavailable; running on CPU (set INFERENCE_REQUIRE_GPU=true to fail instead)');
  }

  /** One load/unload per model at a time. */
  private exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(name) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    this.locks.set(name, next);
    void next
      .finally(() => {
        if (this.locks.get(name) === next) this.locks.delete(name);
      })
      .catch(() => {});
    return next;
  }
}

function highest(versions: Iterable<string>): string {
  return [...versions].sort((a, b) => Number(b) - Number(a))[0];
}

async function stopAll(versions: Map<string, LoadedModel>): Promise<void> {
  await Promise.all([...versions.values()].map((m) => m.stop()));
}
