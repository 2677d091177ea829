/**
 * The live view's web server: the page's static files, one Server-Sent Events stream of the
 * feed, and one endpoint for the host's actions. Only for the person at this machine:
 *
 * - it listens on 127.0.0.1 only;
 * - every request must name this server in its Host header (127.0.0.1, localhost or [::1] with
 *   this port), so a page of another site that rebinds its DNS name to 127.0.0.1 is refused;
 * - a request that carries an Origin must come from this server's own origin; an action
 *   (POST) must carry it, and JSON, which another origin cannot send without a preflight this
 *   server never answers;
 * - it serves the files of the page's folder it read at start, by exact name, and nothing else:
 *   no path from a URL ever reaches the file system.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SEQUENCE_CSS, SEQUENCE_DRAW_SCRIPT } from "../trace/sequence-draw.js";
import type { LiveFeed } from "./feed.js";

/**
 * The page's folder: `web/live/` at the package root, which is two levels above this module
 * both in `src/live/` (tsx) and in `dist/live/` (the built package).
 */
export const PAGE_DIR = fileURLToPath(new URL("../../web/live/", import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** The page may load its own files and talk to this server; nothing else, from nowhere else. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** What the page asks the host to do: `{ action, ...arguments }`. */
export type ActionRequest = Readonly<Record<string, unknown>> & { readonly action: string };

/** Runs an action; resolves with a line for the page, rejects with why it could not. */
export type ActionHandler = (request: ActionRequest) => Promise<string>;

export interface LiveServerOptions {
  readonly feed: LiveFeed;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly actions?: ActionHandler;
  /** The page's folder; default PAGE_DIR. */
  readonly pageDir?: string;
  /** Largest action body accepted (a pcap to inject travels in it). Default 4 MiB. */
  readonly maxBody?: number;
}

export interface LiveServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface StaticFile {
  readonly type: string;
  readonly body: Buffer;
}

/** The page's files by URL path, read once: regular files of known types in the folder. */
function readPage(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    const path = join(dir, name);
    if (type === undefined || !statSync(path).isFile()) continue;
    files.set(`/${name}`, { type, body: readFileSync(path) });
  }
  const index = files.get("/index.html");
  if (index === undefined) throw new Error(`the live view's page is missing: ${dir}index.html`);
  files.set("/", index);
  files.set("/sequence-draw.js", {
    type: TYPES[".js"] as string,
    body: Buffer.from(SEQUENCE_DRAW_SCRIPT),
  });
  files.set("/sequence.css", { type: TYPES[".css"] as string, body: Buffer.from(SEQUENCE_CSS) });
  return files;
}

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];

/** Why a request is refused (Host and Origin), or null. */
export function refusal(
  request: Pick<IncomingMessage, "headers" | "method">,
  port: number,
): string | null {
  const host = request.headers.host;
  if (host === undefined || !LOOPBACK_NAMES.some((n) => host === `${n}:${port}`))
    return `Host ${JSON.stringify(host ?? "")} is not this server`;
  const origin = request.headers.origin;
  const own = LOOPBACK_NAMES.map((n) => `http://${n}:${port}`);
  if (origin !== undefined && !own.includes(origin))
    return `Origin ${JSON.stringify(origin)} is not this server's`;
  if (request.headers["sec-fetch-site"] === "cross-site") return "a cross-site request";
  if (request.method === "POST") {
    if (origin === undefined) return "an action without an Origin";
    const type = request.headers["content-type"] ?? "";
    if (!/^application\/json\b/.test(type)) return "an action that is not JSON";
  }
  return null;
}

function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  extra: Record<string, string> = {},
): void {
  response.writeHead(status, {
    "Content-Type": type,
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    ...extra,
  });
  response.end(body);
}

const json = (response: ServerResponse, status: number, value: unknown) =>
  send(response, status, "application/json; charset=utf-8", JSON.stringify(value));

function readBody(request: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        reject(new Error(`the request is larger than ${max} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/** The event stream: SSE, one `event:` + `data:` per message; write's answer is the back-pressure. */
function stream(feed: LiveFeed, request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    Connection: "keep-alive",
  });
  response.flushHeaders();
  const link = feed.connect({
    write: (type, data) => response.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`),
  });
  response.on("drain", () => link.drained());
  const end = () => link.close();
  request.on("close", end);
  response.on("close", end);
}

/** Starts the server on 127.0.0.1; resolves once it listens. */
export function startLiveServer(options: LiveServerOptions): Promise<LiveServer> {
  const files = readPage(options.pageDir ?? PAGE_DIR);
  const maxBody = options.maxBody ?? 4 * 1024 * 1024;
  const { feed } = options;
  let port = 0;
  const sockets = new Set<import("node:net").Socket>();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const why = refusal(request, port);
    if (why !== null) {
      send(response, 403, "text/plain; charset=utf-8", `refused: ${why}\n`);
      return;
    }
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    if (request.method === "GET" || request.method === "HEAD") {
      if (path === "/events") {
        stream(feed, request, response);
        return;
      }
      const file = files.get(path);
      if (file === undefined) {
        send(response, 404, "text/plain; charset=utf-8", "not found\n");
        return;
      }
      send(response, 200, file.type, file.body, { "Content-Security-Policy": CSP });
      return;
    }
    if (request.method === "POST" && path === "/action") {
      let body: unknown;
      try {
        body = JSON.parse(await readBody(request, maxBody));
      } catch (err) {
        json(response, 400, { error: `not a JSON action: ${(err as Error).message}` });
        return;
      }
      const action = (body as { action?: unknown } | null)?.action;
      if (typeof action !== "string") {
        json(response, 400, { error: 'an action is an object with an "action" name' });
        return;
      }
      if (options.actions === undefined) {
        json(response, 409, { error: "a recorded trace has no host to act on" });
        return;
      }
      try {
        const result = await options.actions(body as ActionRequest);
        json(response, 200, { ok: true, result });
      } catch (err) {
        json(response, 409, { error: err instanceof Error ? err.message : String(err) });
      }
      return;
    }
    send(response, 405, "text/plain; charset=utf-8", "method not allowed\n", {
      Allow: "GET, HEAD, POST",
    });
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((err) => {
      if (!response.headersSent)
        send(response, 500, "text/plain; charset=utf-8", `${(err as Error).message}\n`);
      else response.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      port = (server.address() as AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${port}/`,
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
