/**
 * Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: the
 * browser reads commands from its fd 3 and writes answers to its fd 4, each message a JSON text
 * ended by a NUL) — no browser download, no library. One page; evaluate expressions in it, wait
 * for a condition with a bounded timeout (the page itself checks it every 25 ms), take a
 * screenshot.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";

export const CHROMIUM = "/usr/bin/chromium";

/** Why a browser test cannot run here, or false. */
export const chromiumMissing: string | false = existsSync(CHROMIUM)
  ? false
  : `Chromium is not installed (${CHROMIUM}); CI installs it (.ci/run: apt-get install chromium)`;

/**
 * A headless browser that fetches nothing by itself (no updates, sync or QUIC probes): only what
 * the page under test asks for.
 */
export const HEADLESS_FLAGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

interface Pending {
  resolve(value: Record<string, unknown>): void;
  reject(error: Error): void;
}

export interface Browser {
  /** Evaluates `expression` in the page (awaiting a promise it returns); its JSON value. */
  evaluate<T = unknown>(expression: string): Promise<T>;
  /**
   * Resolves with the value of `expression` once it is truthy, checked in the page every 25 ms;
   * rejects after `timeoutMs` with the last value.
   */
  waitFor<T = unknown>(expression: string, timeoutMs?: number): Promise<T>;
  /** A PNG of the page's viewport. */
  screenshot(): Promise<Buffer>;
  close(): Promise<void>;
}

/** Opens `url` in a new headless Chromium (`width`×`height` viewport). */
export async function openPage(url: string, width = 1400, height = 1000): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "ndis-chromium-"));
  const child: ChildProcess = spawn(
    CHROMIUM,
    [
      ...HEADLESS_FLAGS,
      "--hide-scrollbars",
      `--window-size=${width},${height}`,
      `--user-data-dir=${profile}`,
      "--remote-debugging-pipe",
      "about:blank",
    ],
    { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] },
  );
  const input = child.stdio[3] as Writable;
  const output = child.stdio[4] as Readable;
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let buffered = "";
  let exited: Error | null = null;
  output.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    let end = buffered.indexOf("\0");
    while (end >= 0) {
      const message = JSON.parse(buffered.slice(0, end)) as {
        id?: number;
        result?: Record<string, unknown>;
        error?: { message: string };
      };
      buffered = buffered.slice(end + 1);
      end = buffered.indexOf("\0");
      if (message.id === undefined) continue;
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(message.error.message));
      else waiter?.resolve(message.result ?? {});
    }
  });
  child.on("exit", (code) => {
    exited = new Error(`chromium exited (${code}): ${stderr}`);
    for (const waiter of pending.values()) waiter.reject(exited);
    pending.clear();
  });
  const command = (
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> => {
    if (exited !== null) return Promise.reject(exited);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      input.write(
        `${JSON.stringify({ id, method, params, ...(sessionId === undefined ? {} : { sessionId }) })}\0`,
      );
    });
  };

  const { targetId } = (await command("Target.createTarget", { url: "about:blank" })) as {
    targetId: string;
  };
  const { sessionId } = (await command("Target.attachToTarget", { targetId, flatten: true })) as {
    sessionId: string;
  };
  await command("Page.enable", {}, sessionId);
  await command(
    "Emulation.setDeviceMetricsOverride",
    { width, height, deviceScaleFactor: 1, mobile: false },
    sessionId,
  );
  await command("Page.navigate", { url }, sessionId);

  const evaluate = async <T>(expression: string): Promise<T> => {
    const answer = (await command(
      "Runtime.evaluate",
      { expression, awaitPromise: true, returnByValue: true },
      sessionId,
    )) as {
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (answer.exceptionDetails !== undefined)
      throw new Error(
        `in the page: ${answer.exceptionDetails.exception?.description ?? answer.exceptionDetails.text}`,
      );
    return answer.result.value as T;
  };

  return {
    evaluate,
    waitFor: <T>(expression: string, timeoutMs = 20_000) =>
      evaluate<T>(`new Promise((resolve, reject) => {
        const deadline = performance.now() + ${timeoutMs};
        const check = () => {
          let value;
          try { value = (${expression}); } catch (err) { value = undefined; }
          if (value) { resolve(value); return; }
          if (performance.now() > deadline) {
            reject(new Error("timed out after ${timeoutMs} ms waiting for: " + ${JSON.stringify(expression)} + " (last value " + JSON.stringify(value) + ")"));
            return;
          }
          setTimeout(check, 25);
        };
        check();
      })`),
    screenshot: async () => {
      const { data } = (await command("Page.captureScreenshot", { format: "png" }, sessionId)) as {
        data: string;
      };
      return Buffer.from(data, "base64");
    },
    close: async () => {
      if (exited === null) {
        const gone = new Promise((resolve) => child.once("exit", resolve));
        await command("Browser.close").catch(() => {});
        await gone;
      }
      rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
