/**
 * How this gambi was installed, so `gambi upgrade` replaces only an executable that install.sh
 * (or a download) put there, and tells everyone else which command upgrades theirs.
 */
export interface InstallMethod {
  /** `standalone`: an archive's executable, upgraded in place. Anything else: refused. */
  kind: "standalone" | "source" | "npm" | "container" | "homebrew" | "nix" | "scoop" | "system" | "other";
  /** What to run instead, for a refused kind. */
  instead?: string;
}

/** Who manages an install of each refused kind, for the refusal's sentence. */
export const MANAGER: Record<InstallMethod["kind"], string> = {
  standalone: "nothing else",
  source: "its clone",
  npm: "npm",
  container: "its container image",
  homebrew: "Homebrew",
  nix: "Nix",
  scoop: "Scoop",
  system: "the system's package manager",
  other: "another installer",
};

export interface InstallFacts {
  /** The executable's real path. */
  execPath: string;
  /** BUILD_TARGET of version.ts: undefined when gambi runs from source under bun. */
  buildTarget: string | undefined;
  /** GAMBI_INSTALLED_BY: set by the npm launcher ("npm") and the container image ("container"). */
  installedBy: string | undefined;
}

export function installMethod({ execPath, buildTarget, installedBy }: InstallFacts): InstallMethod {
  const path = execPath.replaceAll("\\", "/");
  if (!buildTarget) return { kind: "source", instead: "gambi runs from source here: update the clone (git pull && npm install)" };
  if (installedBy === "npm" || path.includes("/node_modules/")) return { kind: "npm", instead: "npm install -g gambi@latest (or npx gambi@latest)" };
  if (installedBy === "container") return { kind: "container", instead: "pull the newer image and recreate the container (docker compose pull && docker compose up -d)" };
  if (installedBy) return { kind: "other", instead: `upgrade it with what installed it (GAMBI_INSTALLED_BY=${installedBy})` };
  if (/\/Cellar\/|\/homebrew\//i.test(path)) return { kind: "homebrew", instead: "brew upgrade gambi" };
  if (path.startsWith("/nix/store/")) return { kind: "nix", instead: "upgrade it through Nix (nix profile upgrade, or your configuration)" };
  if (/\/scoop\/(apps|shims)\//i.test(path)) return { kind: "scoop", instead: "scoop update gambi" };
  if (/^\/(usr\/)?s?bin\/[^/]+$/.test(path)) return { kind: "system", instead: "upgrade it with the system's package manager (apt, dnf, pacman, apk...)" };
  return { kind: "standalone" };
}
