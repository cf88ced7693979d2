/** The one consola instance; modules take a tagged child (`log.withTag("hub")`). */
import { createConsola, type ConsolaInstance } from "consola";

export type Logger = ConsolaInstance;

export const log: Logger = createConsola({
  level: process.env.GAMBI_LOG_LEVEL ? Number(process.env.GAMBI_LOG_LEVEL) : 3,
});
