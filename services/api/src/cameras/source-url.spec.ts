import { describe, expect, it } from 'vitest';
import { redactSourceUrl, sourceUrlProblem } from './source-url.ts';

describe('redactSourceUrl', () => {
  it('replaces user, password and credential-like query values', () => {
    const out = redactSourceUrl('rtsp://admin:s3cret@cam.local:554/live?channel=2&user=admin&password=s3cret&token=abc');
    expect(out).not.toMatch(/s3cret|abc|admin/);
    expect(out).toContain('cam.local:554/live');
    expect(out).toContain('channel=2');
  });
  it('leaves a URL without credentials as it is', () => {
    expect(redactSourceUrl('http://cam.local/mjpeg')).toBe('http://cam.local/mjpeg');
  });
  it('never echoes an unparseable value or one with a scheme it does not know', () => {
    expect(redactSourceUrl('not a url, pass=x')).toBe('<invalid url>');
    expect(redactSourceUrl('user:pass@@@')).toBe('<redacted>');
  });
});

describe('sourceUrlProblem', () => {
  it.each(['rtsp://h/s', 'rtsps://h/s', 'http://h/m.mjpg', 'https://h/m', 'file:///videos/river.mp4', 'rtmp://h/live'])('accepts %s', (u) => {
    expect(sourceUrlProblem(u)).toBeNull();
  });
  it.each(['ftp://h/x', 'javascript:alert(1)', 'relative/path', ''])('rejects %s with a message', (u) => {
    expect(sourceUrlProblem(u)).toMatch(/sourceUrl/);
  });
});
