/**
 * manifest.json: what one release folder holds (scripts/release.ts writes it beside the
 * archives and SHA256SUMS; `gambi upgrade` reads it to learn the newest version and which
 * archive is its own).
 */
export interface ManifestTarget {
  /** src/release/targets.ts's name, e.g. `linux-x64-musl`. */
  target: string;
  os: string;
  cpu: string;
  libc?: string;
  baseline?: boolean;
  /** File name in the same folder. */
  archive: string;
  size: number;
  sha256: string;
  /** The executable's path inside the archive. */
  executable: string;
  executableSize: number;
}

export interface Manifest {
  name: "gambi";
  version: string;
  commit?: string;
  /** The Bun that compiled it. */
  bun: string;
  targets: ManifestTarget[];
}

export class ManifestError extends Error {}

const SAFE_NAME = /^[A-Za-z0-9._+-]+$/;

/** Parses and checks a manifest: what a download folder says is never trusted blindly. */
export function parseManifest(text: string): Manifest {
  let m: Partial<Manifest>;
  try {
    m = JSON.parse(text);
  } catch {
    throw new ManifestError("manifest.json is not JSON");
  }
  if (!m || typeof m !== "object" || m.name !== "gambi") throw new ManifestError('manifest.json is not a gambi release manifest (no "name": "gambi")');
  if (typeof m.version !== "string" || !/^\d+\.\d+\.\d+/.test(m.version)) throw new ManifestError(`manifest.json has no usable version (${JSON.stringify(m.version)})`);
  if (!Array.isArray(m.targets)) throw new ManifestError("manifest.json lists no targets");
  for (const t of m.targets) {
    const ok =
      t &&
      typeof t.target === "string" &&
      typeof t.archive === "string" &&
      SAFE_NAME.test(t.archive) &&
      typeof t.executable === "string" &&
      !t.executable.split("/").includes("..") &&
      typeof t.size === "number" &&
      typeof t.sha256 === "string" &&
      /^[0-9a-f]{64}$/.test(t.sha256);
    if (!ok) throw new ManifestError(`manifest.json has a malformed target entry: ${JSON.stringify(t).slice(0, 200)}`);
  }
  return m as Manifest;
}
