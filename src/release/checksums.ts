/**
 * SHA-256 sums and the SHA256SUMS file: one `<hex>  <file name>` line per archive, the format
 * `sha256sum -c` reads, so a person can check a download with the tools they have.
 */
export function sha256(data: Bun.BlobOrStringOrBuffer): string {
  return new Bun.CryptoHasher("sha256").update(data).digest("hex");
}

export function formatSums(files: readonly { name: string; sha256: string }[]): string {
  return [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${f.sha256}  ${f.name}\n`)
    .join("");
}

/** File name → lowercase hex. Takes text (`  `) and binary (` *`) mode lines; ignores others. */
export function parseSums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]{64}) [ *](\S.*)$/.exec(line.trim());
    if (m) sums.set(m[2]!, m[1]!.toLowerCase());
  }
  return sums;
}
