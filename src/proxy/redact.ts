/**
 * Removes known secret values (a participant's auth header values, and the bare token after a
 * `Bearer ` prefix) from text the hub is about to pass on: some providers echo the key they
 * rejected in their error body.
 */
export function secretVariants(values: string[]): string[] {
  const out = new Set<string>();
  for (const v of values) {
    if (v.length >= 4) out.add(v);
    const bare = v.replace(/^(Bearer|Basic|Token)\s+/i, "");
    if (bare.length >= 4) out.add(bare);
  }
  // Longest first, so a value and its bare token do not leave fragments behind.
  return [...out].sort((a, b) => b.length - a.length);
}

export function redactSecrets(text: string, values: string[]): string {
  let out = text;
  for (const s of secretVariants(values)) if (out.includes(s)) out = out.split(s).join("[redacted]");
  return out;
}
