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

/**
 * The byte redactor for a stream cut anywhere (a joiner's raw upstream chunks, not whole SSE
 * events): a secret split across two chunks is caught by holding back the end of a chunk that
 * could be the start of one until the next chunk says. A chunk that ends otherwise (an SSE
 * event's blank line, JSON's closing brace) goes on whole and at once. `end()` gives back what
 * is still held.
 */
export function createStreamRedactor(values: string[]): StreamRedactor | undefined {
  return streamRedactors(values)?.();
}

export interface StreamRedactor {
  push(chunk: Uint8Array): Uint8Array;
  end(): Uint8Array;
}

/**
 * A maker of stream redactors for one set of secrets (undefined: nothing to redact): the
 * variants and needles are worked out once, and each stream gets its own held-back tail. For a
 * joiner, which redacts every answer with the same keys.
 */
export function streamRedactors(values: string[]): (() => StreamRedactor) | undefined {
  const whole = createByteRedactor(values);
  if (!whole) return undefined;
  const needles = secretVariants(values).map((v) => new TextEncoder().encode(v));
  return () => streamRedactor(whole, needles);
}

function streamRedactor(whole: (bytes: Uint8Array) => Uint8Array, needles: Uint8Array[]): StreamRedactor {
  let held = new Uint8Array(0);
  /** How many bytes at the end of `data` are the start of some secret. */
  const heldBack = (data: Uint8Array): number => {
    let most = 0;
    for (const n of needles) {
      const from = Math.max(0, data.length - n.length + 1);
      for (let at = from; at < data.length; at++) {
        if (data[at] !== n[0]) continue;
        const k = data.length - at;
        if (k <= most) break;
        let same = true;
        for (let i = 1; i < k && same; i++) same = data[at + i] === n[i];
        if (same) {
          most = k;
          break;
        }
      }
    }
    return most;
  };
  return {
    push(chunk) {
      let data = chunk;
      if (held.length > 0) {
        data = new Uint8Array(held.length + chunk.length);
        data.set(held);
        data.set(chunk, held.length);
      }
      data = whole(data);
      const keep = heldBack(data);
      held = keep > 0 ? data.slice(data.length - keep) : new Uint8Array(0);
      return keep > 0 ? data.subarray(0, data.length - keep) : data;
    },
    end() {
      const rest = held;
      held = new Uint8Array(0);
      return rest;
    },
  };
}
