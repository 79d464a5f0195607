import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { runStack, type Stack } from '@riverwatch/cli';
import { createTestContext, type TestContext } from '../support/context.ts';
import { repoRoot } from '../support/cli.ts';
import { addClipCamera } from '../support/http.ts';
import { WebhookReceiver } from '../api/support/webhook-receiver.ts';
import { apiBase } from '../support/stack.ts';

type LogLine = { level: number; time: number; service?: string; msg: string; [k: string]: unknown };

/**
 * Camera to operator, every service real and in one process: a file camera streaming the
 * rendered debris-appears clip through ffmpeg, ingest, the worker, the inference server, the
 * alert, and a signed webhook to a receiver. What must hold: the operator gets the alert, and
 * the pino JSON logs (LOG_LEVEL=debug) let one follow the frame that opened it from the
 * camera to the webhook by ids alone: frame id from ingest to the worker and the inference
 * request, alert id from the worker to the delivery.
 */
describe('following a frame from camera to operator', () => {
  let ctx: TestContext | undefined;
  let stack: Stack | undefined;
  let receiver: WebhookReceiver | undefined;

  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
    await ctx?.cleanup();
  });

  it('delivers the alert and logs every hop with the ids that link them', async () => {
    const lines: LogLine[] = [];
    const raw: string[] = [];
    const logger = pino({ level: 'debug', base: { app: 'riverwatch' } }, { write: (line: string) => void (raw.push(line), lines.push(JSON.parse(line) as LogLine)) });
    ctx = await createTestContext({ MODEL_REPOSITORY: `${repoRoot}models`, LOG_LEVEL: 'debug', WEBHOOK_ALLOW_HOSTS: '127.0.0.1', REVIEW_INTERVAL_SECONDS: '0' });
    receiver = await WebhookReceiver.start();
    stack = await runStack({ services: ['inference', 'worker', 'ingest', 'api'], env: ctx.env, logger });
    const base = apiBase(stack);
    const auth = { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' };

    const sub = await fetch(`${base}/v1/webhooks`, { method: 'POST', headers: auth, body: JSON.stringify({ url: receiver.url('/ops'), events: ['alert.opened'] }) });
    expect(sub.status).toBe(201);
    receiver.secrets = [((await sub.json()) as { secret: string }).secret];
    const cameraId = await addClipCamera(base, stack.adminKey!, 'weir', 5, 'test/fixtures/clips/debris-appears/clip.mp4');

    await expect.poll(() => receiver!.at('/ops').length, { timeout: 60_000 }).toBeGreaterThan(0);
    const hook = receiver.at('/ops')[0]!;
    expect(hook.verifiedBy).toEqual([0]);
    const event = JSON.parse(hook.body) as { type: string; data: { cameraId: string; data: { alert: { id: string; type: string } } } };
    expect(event.type).toBe('alert.opened');
    expect(event.data.cameraId).toBe(cameraId);
    const alertId = event.data.data.alert.id;

    // The delivery is logged after the receiver answered: wait for that line too.
    const find = (service: string, msg: string, ids: Record<string, unknown>) =>
      lines.find((l) => l.service === service && l.msg === msg && Object.entries(ids).every(([k, v]) => l[k] === v));
    await expect.poll(() => find('api', 'webhook delivered', { alertId }), { timeout: 10_000 }).toBeDefined();

    const opened = find('worker', 'alert opened', { alertId, cameraId });
    expect(opened, 'the worker logs the alert with the frame that opened it').toBeDefined();
    const frameId = opened!.frameId as string;
    expect(frameId).toMatch(/^frm_/);
    const queued = find('ingest', 'frame queued', { frameId, cameraId });
    const inferred = find('inference', 'ModelInfer', { requestId: frameId, status: 'OK' });
    const processed = find('worker', 'frame processed', { frameId, cameraId });
    const delivered = find('api', 'webhook delivered', { alertId, cameraId, eventType: 'alert.opened', status: 204 }); // the receiver's answer
    expect(queued, 'ingest logs the frame it queued').toBeDefined();
    expect(inferred, 'the inference server logs the request under the frame id').toBeDefined();
    expect(processed, 'the worker logs the frame it processed').toBeDefined();
    expect(processed!.jobId).toBe(frameId);
    expect(delivered, 'the notifier logs the delivery under the alert id').toBeDefined();
    // Each line names its service once (JSON.parse would hide a repeated key).
    expect(raw.filter((l) => (l.match(/"service":/g) ?? []).length > 1)).toEqual([]);
    // In the order the frame travelled.
    const times = [queued, inferred, opened, delivered].map((l) => l!.time);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});
