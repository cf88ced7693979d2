/**
 * Preloaded into every test process (bunfig.toml): settings go to a throwaway
 * $XDG_CONFIG_HOME, inherited by every CLI a test spawns, so no test writes the user's own
 * ~/.config/gambi/config.json (`gambi create` saves each room's hostId there). Tests that
 * check what lands under a HOME set their own HOME and XDG_CONFIG_HOME.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const config = mkdtempSync(join(tmpdir(), "gambi-test-config-"));
process.env.XDG_CONFIG_HOME = config;
process.on("exit", () => rmSync(config, { recursive: true, force: true }));
