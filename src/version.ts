import pkg from "../package.json" with { type: "json" };

/**
 * What the build baked in. scripts/build-binary.ts replaces these identifiers with string
 * literals (Bun.build `define`); run from source they are never declared, and `typeof` on an
 * undeclared name is "undefined", not a ReferenceError.
 */
declare const GAMBI_BUILD_VERSION: string;
declare const GAMBI_BUILD_COMMIT: string;
declare const GAMBI_BUILD_TARGET: string;
declare const GAMBI_BUILD_RELEASES_URL: string;
const baked = (value: string | undefined): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

/** Short git commit of the build. */
export const COMMIT: string | undefined = baked(typeof GAMBI_BUILD_COMMIT === "string" ? GAMBI_BUILD_COMMIT : undefined);

/**
 * `gambi --version` and GET /health's `version`: in a binary, the package version plus the
 * commit as semver build metadata (`0.1.0+abc1234`), or the bare version for a release built
 * from its tag — still a valid semver string either way, so anything comparing hub versions
 * keeps working; from source it is just `0.1.0`.
 */
export const VERSION: string = baked(typeof GAMBI_BUILD_VERSION === "string" ? GAMBI_BUILD_VERSION : undefined) ?? pkg.version;

/** The release target this executable was built as (src/release/targets.ts); none from source. */
export const BUILD_TARGET: string | undefined = baked(typeof GAMBI_BUILD_TARGET === "string" ? GAMBI_BUILD_TARGET : undefined);

/** The project's GitHub releases page (`https://github.com/OWNER/REPO/releases`), when the build knew it. */
export const RELEASES_URL: string | undefined = baked(typeof GAMBI_BUILD_RELEASES_URL === "string" ? GAMBI_BUILD_RELEASES_URL : undefined);
