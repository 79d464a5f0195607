const SOURCE_PROTOCOLS = ['rtsp:', 'rtsps:', 'rtmp:', 'http:', 'https:', 'file:'];
// Query parameters cameras commonly carry credentials in (e.g. ?user=admin&pwd=...).
const SECRET_PARAM = /pass|pwd|token|key|secret|auth|user|login|sig/i;

/** Why a camera source URL is unusable, or null when it is fine. */
export function sourceUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'sourceUrl must be an absolute URL such as rtsp://host/stream';
  }
  if (!SOURCE_PROTOCOLS.includes(url.protocol)) return `sourceUrl scheme must be one of ${SOURCE_PROTOCOLS.map((p) => p.slice(0, -1)).join(', ')}`;
  return null;
}

/** The source URL with user, password and credential-like query values replaced: safe to return and log. */
export function redactSourceUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return '<invalid url>';
  }
  // Other schemes may hide credentials where the URL parser does not look (opaque paths).
  if (!SOURCE_PROTOCOLS.includes(url.protocol)) return '<redacted>';
  if (url.username) url.username = 'redacted';
  if (url.password) url.password = 'redacted';
  for (const name of [...url.searchParams.keys()]) if (SECRET_PARAM.test(name)) url.searchParams.set(name, 'redacted');
  return url.toString();
}
