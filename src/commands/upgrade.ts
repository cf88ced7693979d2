/**
 * `gambi upgrade [--check] [--force]`: replace this executable with the newest release's
 * (src/release/: the manifest and SHA256SUMS of $GAMBI_DOWNLOAD_URL, else of the project's
 * GitHub releases, `GAMBI_VERSION` to pin one). The download is checked against SHA256SUMS and
 * run once before it takes the old one's place in a single rename; any failure keeps the old.
 * Installs that something else manages (npm, a container image, Homebrew, a system package,
 * a clone run from source) are refused with the command that upgrades them. `--check` only
 * reports, for every kind of install.
 *
 * Exit codes: 0 done (or nothing to do), 1 a bad download (checksum, manifest, archive) or a
 * swap that failed, 2 refused or nothing known to upgrade from, 3 the download folder did not answer.
 */
import { defineCommand } from "citty";
import { realpathSync } from "node:fs";
import { log } from "../logger.ts";
import { installMethod, MANAGER } from "../release/install-method.ts";
import { checkRuns, ReplaceError, replaceExecutable } from "../release/replace.ts";
import { compareVersions, entryFor, fetchExecutable, readRelease, releaseFolder, shownUrl, UpgradeError } from "../release/upgrade.ts";
import { EXIT, UsageError } from "../terminal/errors.ts";
import { BUILD_TARGET, RELEASES_URL, VERSION } from "../version.ts";
import { guard } from "./_args.ts";

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export default defineCommand({
  meta: { name: "upgrade", description: "Replace this gambi with the newest release (checksum verified; the old one is kept on failure)" },
  args: {
    check: { type: "boolean", description: "Only say whether a newer release exists", default: false },
    force: { type: "boolean", description: "Install the release even if it is not newer", default: false },
  },
  run: ({ args }) =>
    guard(async () => {
      let execPath = process.execPath;
      try {
        execPath = realpathSync(execPath); // a symlink in PATH: replace the file it points at
      } catch {}
      const method = installMethod({ execPath, buildTarget: BUILD_TARGET, installedBy: process.env.GAMBI_INSTALLED_BY || undefined });
      if (method.kind !== "standalone" && !args.check) throw new UsageError(`this gambi is managed by ${MANAGER[method.kind]}, so gambi upgrade leaves it alone: ${method.instead}`);
      try {
        const pinned = process.env.GAMBI_VERSION || undefined;
        const folder = releaseFolder({ GAMBI_DOWNLOAD_URL: process.env.GAMBI_DOWNLOAD_URL || undefined, GAMBI_VERSION: pinned }, RELEASES_URL);
        const release = await readRelease(folder);
        const latest = release.manifest.version;
        const relation = compareVersions(latest, VERSION);
        if (args.check) {
          if (relation === "newer") console.log(`gambi ${latest} is available (this is ${VERSION}): ${method.kind === "standalone" ? "gambi upgrade" : method.instead}`);
          else console.log(`gambi ${VERSION} is up to date (${shownUrl(folder)} has ${latest})`);
          return;
        }
        const wanted = relation === "newer" || args.force || (pinned !== undefined && relation !== "same");
        if (!wanted) {
          console.log(`gambi ${VERSION} is up to date (${shownUrl(folder)} has ${latest}; --force reinstalls it)`);
          return;
        }
        const entry = entryFor(release, BUILD_TARGET!);
        log.info(`downloading ${entry.archive} (${mb(entry.size)}) from ${shownUrl(folder)}`);
        const exe = await fetchExecutable(release, entry);
        await replaceExecutable(execPath, exe, (path) => checkRuns(path, latest));
        log.success(`gambi ${VERSION} → ${latest} (${execPath}); checksum verified`);
      } catch (err) {
        if (err instanceof UpgradeError || err instanceof ReplaceError) {
          log.error(args.check ? err.message : `${err.message}; ${execPath} is unchanged`);
          process.exitCode = err instanceof ReplaceError ? EXIT.unexpected : { usage: EXIT.usage, unreachable: EXIT.unreachable, invalid: EXIT.unexpected }[err.kind];
          return;
        }
        throw err;
      }
    }),
});
