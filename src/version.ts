import pkg from "../package.json" with { type: "json" };

/** Baked into the single binary at build time (bun build inlines the JSON import). */
export const VERSION: string = pkg.version;
