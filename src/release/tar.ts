/**
 * The few bytes of ustar that gambi's archives need: regular files with a mode, written by
 * scripts/release.ts (so the executable bit survives on every unpacker) and read back by
 * `gambi upgrade`. Gzip is Bun's (`Bun.gzipSync` / `Bun.gunzipSync`).
 */
export interface ArchiveEntry {
  /** Forward slashes, relative, at most 100 bytes. */
  path: string;
  data: Uint8Array;
  /** Unix permission bits, 0o755 for the executable. */
  mode: number;
}

const BLOCK = 512;
const enc = new TextEncoder();
const dec = new TextDecoder();

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, "0")}\0`;
}

function header(e: ArchiveEntry, mtime: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const put = (offset: number, text: string) => h.set(enc.encode(text), offset);
  const name = enc.encode(e.path);
  if (name.length > 100) throw new Error(`tar: path longer than 100 bytes: ${e.path}`);
  h.set(name, 0);
  put(100, octal(e.mode & 0o7777, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(e.data.length, 12));
  put(136, octal(Math.floor(mtime), 12));
  put(148, "        "); // the checksum counts its own field as spaces
  put(156, "0");
  put(257, "ustar\u000000");
  put(265, "root");
  put(297, "root");
  const sum = h.reduce((a, b) => a + b, 0);
  put(148, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

/** An uncompressed tar of `entries`, owned by root:root, all with modification time `mtime` (seconds). */
export function writeTar(entries: readonly ArchiveEntry[], mtime: number): Uint8Array<ArrayBuffer> {
  const size = entries.reduce((n, e) => n + BLOCK + Math.ceil(e.data.length / BLOCK) * BLOCK, 2 * BLOCK);
  const out = new Uint8Array(size);
  let at = 0;
  for (const e of entries) {
    out.set(header(e, mtime), at);
    out.set(e.data, at + BLOCK);
    at += BLOCK + Math.ceil(e.data.length / BLOCK) * BLOCK;
  }
  return out; // the two zero blocks that end a tar are already zeros
}

const field = (h: Uint8Array, offset: number, length: number) => dec.decode(h.subarray(offset, offset + length)).replace(/\0[\s\S]*$/, "");

/** The regular files of an uncompressed tar. Throws on a damaged one. */
export function readTar(tar: Uint8Array): ArchiveEntry[] {
  const out: ArchiveEntry[] = [];
  for (let at = 0; at + BLOCK <= tar.length; ) {
    const h = tar.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) break;
    const stored = parseInt(field(h, 148, 8).trim(), 8);
    const sum = h.reduce((a, b, i) => a + (i >= 148 && i < 156 ? 32 : b), 0);
    if (stored !== sum) throw new Error("tar: bad header checksum (a damaged archive)");
    const size = parseInt(field(h, 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(h[156]!);
    const prefix = field(h, 345, 155);
    const name = field(h, 0, 100);
    const start = at + BLOCK;
    if (start + size > tar.length) throw new Error("tar: truncated archive");
    if (type === "0" || type === "\0") out.push({ path: prefix ? `${prefix}/${name}` : name, data: tar.slice(start, start + size), mode: parseInt(field(h, 100, 8).trim() || "0", 8) });
    at = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}
