/** What a participant tells the room about its machine (informational; `--no-specs` omits it). */
import os from "node:os";

export function machineSpecs(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    platform: os.platform(),
    arch: os.arch(),
    cpu: cpus[0]?.model?.trim() ?? "unknown",
    cores: cpus.length,
    ramGb: Math.round(os.totalmem() / 2 ** 30),
  };
}
