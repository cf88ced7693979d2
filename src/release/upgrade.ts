/**
 * `gambi upgrade`'s steps, apart from printing: where releases are, what the newest one is,
 * and its executable for this target, downloaded and checked against SHA256SUMS (the same
 * folder layout scripts/release.ts writes and install.sh reads). Replacing the running file is
 * replace.ts's; deciding whether this install may be replaced at all is install-method.ts's.
 */
import { sha256, parseSums } from "./checksums.ts";
import { parseManifest, ManifestError, type Manifest, type ManifestTarget } from "./manifest.ts";
import { readTar } from "./tar.ts";
import { readZip } from "./zip.ts";

/** `usage`: nothing to upgrade from/to as asked; `unreachable`: the download folder did not answer; `invalid`: it answered something wrong. */
export class UpgradeError extends Error {
  constructor(
    message: string,
    readonly kind: "usage" | "unreachable" | "invalid",
  ) {
    super(message);
  }
}

export interface ReleaseEnv {
  /** The folder holding one release's archives, SHA256SUMS and manifest.json. */
  GAMBI_DOWNLOAD_URL?: string;
  /** A version to install instead of the latest (`0.2.0` or `v0.2.0`). */
  GAMBI_VERSION?: string;
}

/** GAMBI_DOWNLOAD_URL, else the releases page the build knew: `latest/download`, or `download/vX.Y.Z` when GAMBI_VERSION pins one. */
export function releaseFolder(env: ReleaseEnv, releasesUrl: string | undefined): string {
  if (env.GAMBI_DOWNLOAD_URL) return env.GAMBI_DOWNLOAD_URL.replace(/\/+$/, "");
  if (!releasesUrl) throw new UpgradeError("this build does not know where gambi is released: set GAMBI_DOWNLOAD_URL to the folder that holds its manifest.json and SHA256SUMS", "usage");
  const pinned = env.GAMBI_VERSION?.replace(/^v/, "");
  return pinned ? `${releasesUrl}/download/v${pinned}` : `${releasesUrl}/latest/download`;
}

/** A URL as it may be printed: without its user:password@ part. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = "";
    u.password = "";
    return u.href;
  } catch {
    return url;
  }
}

async function get(url: string, fetchFn: typeof fetch, timeoutMs: number): Promise<Response> {
  let res: Response;
  try {
    res = await fetchFn(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
  } catch (err) {
    throw new UpgradeError(`cannot download ${shownUrl(url)}: ${(err as Error).message.replaceAll(url, shownUrl(url))}`, "unreachable");
  }
  if (!res.ok) throw new UpgradeError(`cannot download ${shownUrl(url)}: HTTP ${res.status}`, res.status === 404 ? "invalid" : "unreachable");
  return res;
}

export interface Release {
  folder: string;
  manifest: Manifest;
  /** SHA256SUMS: archive name → sha256. */
  sums: Map<string, string>;
}

export async function readRelease(folder: string, fetchFn: typeof fetch = fetch): Promise<Release> {
  const [manifestText, sumsText] = await Promise.all([
    get(`${folder}/manifest.json`, fetchFn, 30_000).then((r) => r.text()),
    get(`${folder}/SHA256SUMS`, fetchFn, 30_000).then((r) => r.text()),
  ]);
  try {
    return { folder, manifest: parseManifest(manifestText), sums: parseSums(sumsText) };
  } catch (err) {
    if (err instanceof ManifestError) throw new UpgradeError(`${shownUrl(folder)}/${err.message}`, "invalid");
    throw err;
  }
}

/** Whether `latest` is newer than `current` by semver precedence (build metadata aside). */
export function compareVersions(latest: string, current: string): "newer" | "same" | "older" {
  const order = Bun.semver.order(latest, current);
  return order > 0 ? "newer" : order < 0 ? "older" : "same";
}

export function entryFor(release: Release, target: string): ManifestTarget {
  const entry = release.manifest.targets.find((t) => t.target === target);
  if (!entry) throw new UpgradeError(`gambi ${release.manifest.version} has no build for ${target} (it has ${release.manifest.targets.map((t) => t.target).join(", ")})`, "invalid");
  return entry;
}

/**
 * Downloads `entry`'s archive, checks it against SHA256SUMS (and the manifest, which must
 * agree), and returns the executable inside. Nothing is written anywhere.
 */
export async function fetchExecutable(release: Release, entry: ManifestTarget, fetchFn: typeof fetch = fetch): Promise<Uint8Array> {
  const expected = release.sums.get(entry.archive);
  if (!expected) throw new UpgradeError(`SHA256SUMS in ${shownUrl(release.folder)} lists no ${entry.archive}`, "invalid");
  if (expected !== entry.sha256) throw new UpgradeError(`manifest.json and SHA256SUMS in ${shownUrl(release.folder)} disagree about ${entry.archive}`, "invalid");
  const url = `${release.folder}/${entry.archive}`;
  const bytes = new Uint8Array(await (await get(url, fetchFn, 15 * 60_000)).arrayBuffer());
  const actual = sha256(bytes);
  if (actual !== expected) throw new UpgradeError(`checksum mismatch for ${entry.archive}: SHA256SUMS says ${expected}, the download is ${actual}`, "invalid");
  let files;
  try {
    files = entry.archive.endsWith(".zip") ? readZip(bytes) : readTar(Bun.gunzipSync(bytes));
  } catch (err) {
    throw new UpgradeError(`${entry.archive} cannot be unpacked: ${(err as Error).message}`, "invalid");
  }
  const exe = files.find((f) => f.path === entry.executable);
  if (!exe) throw new UpgradeError(`${entry.archive} holds no ${entry.executable}`, "invalid");
  return exe.data;
}
