/**
 * The web UI's routes: the page (src/web/index.html, a Bun HTML import) at `/` and at
 * `/r/:code` (a room; the page reads the code from its own path). Bun bundles the page's
 * TypeScript and CSS itself: on the first request when the hub runs from source, at compile
 * time in the single binary (scripts/compile-gambi.ts), so nothing is fetched from anywhere
 * at run time. Like the inference lane, these are Bun routes that Elysia passes to Bun.serve
 * (index.ts); `startHub` listens with `development: false`, so Bun serves the minified bundle
 * without its dev-server client. The page uses only the hub's public HTTP API.
 */
import page from "../web/index.html";

export const webRoutes: Record<string, unknown> = {
  "/": page,
  "/r/:code": page,
};
