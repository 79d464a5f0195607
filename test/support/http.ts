import { repoRoot } from './cli.ts';

/** Small helpers for calling a running API as an operator would. */
export async function waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms: ${last}`);
}

export async function postImage(base: string, key: string, image: Buffer, contentType = 'image/jpeg'): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/v1/detect`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': contentType }, body: image });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text for the assertion message
  }
  return { status: res.status, body };
}

/** YOLO label lines → boxes in pixels. */
export function yoloBoxes(labels: string, width: number, height: number): { classId: number; box: [number, number, number, number] }[] {
  return labels
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [c, cx, cy, w, h] = line.split(/\s+/).map(Number) as [number, number, number, number, number];
      return { classId: c, box: [(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height] };
    });
}

export function iou(a: readonly number[], b: readonly number[]): number {
  const ix = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const iy = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const inter = ix * iy;
  const union = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - inter;
  return union > 0 ? inter / union : 0;
}

/** POST /v1/cameras for a camera streaming a video file (file://, looped at real time; default the bundled river clip); its id. */
export async function addClipCamera(base: string, key: string, name: string, fps: number, video = 'assets/clips/river-demo.mp4'): Promise<string> {
  const res = await fetch(`${base}/v1/cameras`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, sourceUrl: `file://${repoRoot}${video}`, fps, maxWidth: 640 }),
  });
  if (res.status !== 201) throw new Error(`POST /v1/cameras answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}
