/**
 * `GET /metrics`: the hub in Prometheus's text format (scrape.ts), hub-wide. Behind the hub
 * token when the hub has one, or a token of its own for scrapers (`gambi hub --metrics-token`;
 * access/gate.ts `requireMetricsAccess`).
 */
import { Elysia } from "elysia";
import type { HubContext } from "../context.ts";
import type { AccessGate } from "../access/gate.ts";
import { CONTENT_TYPE } from "./exposition.ts";
import { scrape } from "./scrape.ts";

export function metricsRoutes(ctx: HubContext, access: AccessGate) {
  return new Elysia().get("/metrics", ({ request, server }) => {
    access.requireMetricsAccess(request, server?.requestIP(request)?.address);
    return new Response(scrape(ctx), { headers: { "content-type": CONTENT_TYPE, "cache-control": "no-store" } });
  });
}
