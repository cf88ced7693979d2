/**
 * What the OS says about a child process (Linux /proc), read from outside it so that reading
 * costs the process nothing: open file descriptors (sockets among them) and resident memory.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface Fds {
  all: number;
  sockets: number;
}

export function openFds(pid: number): Fds {
  const dir = `/proc/${pid}/fd`;
  let sockets = 0;
  const fds = readdirSync(dir);
  for (const fd of fds) {
    try {
      if (readlinkSync(`${dir}/${fd}`).startsWith("socket:")) sockets++;
    } catch {
      // Closed between the listing and the read: not open any more.
    }
  }
  return { all: fds.length, sockets };
}

/** Resident set size in bytes (VmRSS), as `top` shows it: no GC is forced to read it. */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** One TCP socket from /proc/net/tcp{,6}: its ports and state (0A = listening, 01 = established). */
interface TcpEntry {
  localPort: number;
  remotePort: number;
  state: string;
}

function tcpTable(): Map<string, TcpEntry> {
  const byInode = new Map<string, TcpEntry>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const port = (addr: string) => parseInt(addr.slice(addr.lastIndexOf(":") + 1), 16);
      byInode.set(f[9]!, { localPort: port(f[1]!), remotePort: port(f[2]!), state: f[3]! });
    }
  }
  return byInode;
}

export interface SocketKinds {
  listening: number;
  /** Connections accepted on `serverPort` (clients of the process). */
  accepted: number;
  /** Connections to one of `peerPorts` (the process as a client). */
  outbound: number;
  other: number;
}

/** The process's TCP sockets by role, from the inodes its descriptors point to. */
export function socketKinds(pid: number, serverPort: number, peerPorts: number[]): SocketKinds {
  const table = tcpTable();
  const kinds: SocketKinds = { listening: 0, accepted: 0, outbound: 0, other: 0 };
  const dir = `/proc/${pid}/fd`;
  for (const fd of readdirSync(dir)) {
    let link: string;
    try {
      link = readlinkSync(`${dir}/${fd}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (!m) continue;
    const e = table.get(m[1]!);
    if (!e) kinds.other++;
    else if (e.state === "0A") kinds.listening++;
    else if (e.localPort === serverPort) kinds.accepted++;
    else if (peerPorts.includes(e.remotePort)) kinds.outbound++;
    else kinds.other++;
  }
  return kinds;
}

/**
 * CPU time (µs, user + system) each thread of a process has used, by thread name (threads of
 * one name summed; the main thread, whose name is the process's, as "(main: JavaScript)";
 * trailing digits folded to "#", e.g. Bun's "HTTP Client" and JavaScriptCore's numbered helpers).
 */
export function threadCpuByName(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
      // After the command in parentheses: state is field 3, utime and stime are fields 14 and 15.
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const name = Number(tid) === pid ? "(main: JavaScript)" : comm.replace(/\d+$/, "#");
      // Clock ticks are 10 ms on Linux (USER_HZ = 100).
      out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10_000);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** CPU time (ms, user + system) the threads of a process named `name` have used (e.g. Bun's JIT compiler threads, `JITWorker`). */
export function threadCpuMs(pid: number, name: string): number {
  return (threadCpuByName(pid).get(name) ?? 0) / 1000;
}
