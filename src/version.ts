import pkg from "../package.json" with { type: "json" };

/**
 * Short git commit of the build. scripts/build-binary.ts replaces the identifier
 * `GAMBI_BUILD_COMMIT` with a string literal (Bun.build `define`); run from source it is
 * never declared, and `typeof` on an undeclared name is "undefined", not a ReferenceError.
 */
declare const GAMBI_BUILD_COMMIT: string;
export const COMMIT: string | undefined = typeof GAMBI_BUILD_COMMIT === "string" && GAMBI_BUILD_COMMIT !== "" ? GAMBI_BUILD_COMMIT : undefined;

/**
 * `gambi --version` and GET /health's `version`: the package version, plus the commit as
 * semver build metadata in a binary (`0.1.0+abc1234`) — still a valid semver string, so
 * anything comparing hub versions keeps working; from source it is just `0.1.0`.
 */
export const VERSION: string = COMMIT ? `${pkg.version}+${COMMIT}` : pkg.version;
