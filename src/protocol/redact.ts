/**
 * Removes known secret values (a participant's auth header values, and the bare token after a
 * `Bearer ` prefix) from text the hub is about to pass on: some providers echo the key they
 * rejected in their error body. Each is also looked for as JSON writes it inside a string (a
 * `"` or `\` escaped): the hub re-serializes the events it translates or repairs.
 */
export function secretVariants(values: string[]): string[] {
  const out = new Set<string>();
  const add = (s: string) => {
    if (s.length < 4) return;
    out.add(s);
    out.add(JSON.stringify(s).slice(1, -1));
  };
  for (const v of values) {
    add(v);
    add(v.replace(/^(Bearer|Basic|Token)\s+/i, ""));
  }
  // Longest first, so a value and its bare token do not leave fragments behind.
  return [...out].sort((a, b) => b.length - a.length);
}

export function redactSecrets(text: string, values: string[]): string {
  let out = text;
  for (const s of secretVariants(values)) if (out.includes(s)) out = out.split(s).join("[redacted]");
  return out;
}

/**
 * Byte-level check for the streaming path: most chunks contain no secret, and a memmem per
 * secret is far cheaper than decoding. Chunks are whole SSE events (see sse/boundary.ts), so
 * a secret is never split across two of them.
 */
export function createByteRedactor(values: string[]): ((bytes: Uint8Array) => Uint8Array) | undefined {
  const variants = secretVariants(values);
  if (variants.length === 0) return undefined;
  const needles = variants.map((v) => Buffer.from(v));
  return (bytes) => {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (!needles.some((n) => buf.indexOf(n) !== -1)) return bytes;
    return new TextEncoder().encode(redactSecrets(buf.toString("utf8"), values));
  };
}

/** The same for short strings (header values): undefined when there is nothing to redact. */
export function createTextRedactor(values: string[]): ((text: string) => string) | undefined {
  const variants = secretVariants(values);
  if (variants.length === 0) return undefined;
  return (text) => {
    let out = text;
    for (const s of variants) if (out.includes(s)) out = out.split(s).join("[redacted]");
    return out;
  };
}
