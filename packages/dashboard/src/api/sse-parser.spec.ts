import { describe, expect, it } from 'vitest';
import { SseParser } from './sse-parser.ts';

describe('SseParser', () => {
  it('reads events split across chunks anywhere, with ids, types, multi-line data and CRLF', () => {
    const p = new SseParser();
    const wire = 'retry: 3000\n\n: keep-alive\n\nid: 1-0\nevent: alert.opened\ndata: {"a":\ndata: 1}\n\r\nid: 2-0\r\nevent: camera.offline\r\ndata: x\r\n\r\n';
    const out = [];
    for (let i = 0; i < wire.length; i += 7) out.push(...p.push(wire.slice(i, i + 7)));
    expect(out).toEqual([
      { id: '1-0', event: 'alert.opened', data: '{"a":\n1}' },
      { id: '2-0', event: 'camera.offline', data: 'x' },
    ]);
    expect(p.retryMs).toBe(3000);
  });

  it('a CRLF split between chunks is one line end, not an empty line', () => {
    const p = new SseParser();
    expect([...p.push('event: alert.opened\r'), ...p.push('\ndata: z\r'), ...p.push('\n\r\n')]).toEqual([{ id: null, event: 'alert.opened', data: 'z' }]);
  });

  it('ignores comments and events without data; keeps the last id for the next event', () => {
    const p = new SseParser();
    expect(p.push(': hello\n\nevent: nothing\n\nid: 5-0\n\ndata: y\n\n')).toEqual([{ id: '5-0', event: 'message', data: 'y' }]);
  });
});
