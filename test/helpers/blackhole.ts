/**
 * A TCP port on 127.0.0.1 where connections never complete, like a host that drops packets:
 * a socket that listens with a backlog of 0 and never accepts. The kernel completes one
 * handshake into the accept queue (filled here at once), then drops every later SYN, so a
 * client's connect hangs until it gives up. Bun has no listen() without accept(), hence libc
 * through bun:ffi: Linux only (`blackholeSupported`).
 */
import { dlopen, FFIType, ptr } from "bun:ffi";

export const blackholeSupported = process.platform === "linux";

export interface Blackhole {
  url: string;
  port: number;
  close(): void;
}

export async function startBlackhole(): Promise<Blackhole> {
  const libc = dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    listen: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    getsockname: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
  });
  const AF_INET = 2;
  const SOCK_STREAM = 1;
  const fd = libc.symbols.socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw new Error("blackhole: socket() failed");
  // struct sockaddr_in: family (host order), port (network order), address 127.0.0.1, padding.
  const addr = new Uint8Array(16);
  const view = new DataView(addr.buffer);
  view.setUint16(0, AF_INET, true);
  addr.set([127, 0, 0, 1], 4);
  if (libc.symbols.bind(fd, ptr(addr), 16) !== 0 || libc.symbols.listen(fd, 0) !== 0) {
    libc.symbols.close(fd);
    throw new Error("blackhole: bind/listen failed");
  }
  const len = new Uint32Array([16]);
  libc.symbols.getsockname(fd, ptr(addr), ptr(len));
  const port = view.getUint16(2, false);
  // Fill the accept queue: from now on the kernel drops new SYNs.
  const filler = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, error() {} } });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close() {
      filler.end();
      libc.symbols.close(fd);
      libc.close();
    },
  };
}
