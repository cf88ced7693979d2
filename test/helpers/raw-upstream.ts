/**
 * An HTTP/1.1 upstream written on a bare TCP socket, for failures Bun.serve will not produce:
 * headers sent and then the connection dropped, half a chunk, a reset. Probe requests are
 * answered like an OpenAI-compatible server (no model list, 400 for `{}` and for the Responses
 * state probe).
 */
import type { Socket } from "bun";

export type RawHandler = (socket: Socket<{ buf: string }>, request: { method: string; path: string; body: string }) => void;

export function startRawUpstream(handler: RawHandler) {
  const server = Bun.listen<{ buf: string }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = { buf: "" };
      },
      data(socket, data) {
        socket.data.buf += data.toString();
        const end = socket.data.buf.indexOf("\r\n\r\n");
        if (end === -1) return;
        const head = socket.data.buf.slice(0, end);
        const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        const body = socket.data.buf.slice(end + 4);
        if (body.length < length) return;
        socket.data.buf = "";
        const [method = "", path = ""] = head.split(" ");
        if (path.endsWith("/models")) {
          socket.write("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
          return;
        }
        if (body === "{}" || body.includes('"resp_gambi_state_probe"')) {
          const msg = '{"error":{"message":"model required"}}';
          socket.write(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${msg.length}\r\n\r\n${msg}`);
          return;
        }
        handler(socket, { method, path, body });
      },
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}

export const SSE_HEAD = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";

export const httpChunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
