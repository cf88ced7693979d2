/**
 * The few bytes of zip that gambi's Windows archive needs: deflated files, written by
 * scripts/release.ts and read back by `gambi upgrade` on Windows (Expand-Archive reads it too).
 * No zip64: every file is far below 4 GiB.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { ArchiveEntry } from "./tar.ts";

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const UTF8 = 0x0800;

/** DOS time and date of a Unix time (seconds), in local-free UTC as zip tools expect. */
function dosTime(seconds: number): { time: number; date: number } {
  const d = new Date(Math.max(seconds, 315532800) * 1000); // zip's clock starts in 1980
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

export function writeZip(entries: readonly ArchiveEntry[], mtime: number): Uint8Array {
  const { time, date } = dosTime(mtime);
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = new TextEncoder().encode(e.path);
    const packed = deflateRawSync(e.data, { level: 9 });
    const crc = Bun.hash.crc32(e.data) >>> 0;
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, LOCAL, true);
    local.setUint16(4, 20, true);
    local.setUint16(6, UTF8, true);
    local.setUint16(8, 8, true);
    local.setUint16(10, time, true);
    local.setUint16(12, date, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, packed.length, true);
    local.setUint32(22, e.data.length, true);
    local.setUint16(26, name.length, true);
    const cd = new DataView(new ArrayBuffer(46));
    cd.setUint32(0, CENTRAL, true);
    cd.setUint16(4, (3 << 8) | 20, true); // made by Unix, so the mode below is honoured
    cd.setUint16(6, 20, true);
    cd.setUint16(8, UTF8, true);
    cd.setUint16(10, 8, true);
    cd.setUint16(12, time, true);
    cd.setUint16(14, date, true);
    cd.setUint32(16, crc, true);
    cd.setUint32(20, packed.length, true);
    cd.setUint32(24, e.data.length, true);
    cd.setUint16(28, name.length, true);
    cd.setUint32(38, ((0o100000 | (e.mode & 0o7777)) << 16) >>> 0, true);
    cd.setUint32(42, offset, true);
    parts.push(new Uint8Array(local.buffer), name, packed);
    central.push(new Uint8Array(cd.buffer), name);
    offset += 30 + name.length + packed.length;
  }
  const centralSize = central.reduce((n, p) => n + p.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, END, true);
  end.setUint16(8, entries.length, true);
  end.setUint16(10, entries.length, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, offset, true);
  return Buffer.concat([...parts, ...central, new Uint8Array(end.buffer)]);
}

/** The files of a zip (stored or deflated), each checked against its CRC. Throws on a damaged one. */
export function readZip(zip: Uint8Array): ArchiveEntry[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === END) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error("zip: no end of central directory (not a zip, or truncated)");
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const out: ArchiveEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (at + 46 > zip.length || view.getUint32(at, true) !== CENTRAL) throw new Error("zip: damaged central directory");
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const packedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const skip = nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    const mode = (view.getUint32(at + 38, true) >>> 16) & 0o7777;
    const local = view.getUint32(at + 42, true);
    const path = new TextDecoder().decode(zip.subarray(at + 46, at + 46 + nameLength));
    at += 46 + skip;
    if (path.endsWith("/")) continue;
    if (local + 30 > zip.length || view.getUint32(local, true) !== LOCAL) throw new Error(`zip: damaged entry ${path}`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const packed = zip.subarray(start, start + packedSize);
    if (method !== 0 && method !== 8) throw new Error(`zip: ${path} uses compression method ${method}`);
    const data = method === 8 ? new Uint8Array(inflateRawSync(packed)) : packed.slice();
    if (data.length !== size || Bun.hash.crc32(data) >>> 0 !== crc) throw new Error(`zip: ${path} is damaged (size or CRC differs)`);
    out.push({ path, data, mode: mode || 0o644 });
  }
  return out;
}
