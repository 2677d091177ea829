/**
 * The live view without a browser: the stack graph (from a host, with filter modules, from a
 * recorded trace), the feed's back-pressure and its control-path-only trace, the server's
 * loopback/Host/Origin checks and its refusal to serve anything but the page's files, and the
 * host actions behind the buttons.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  type AdapterInfo,
  type DriverInfo,
  ManualClock,
  NdisHost,
  type TraceEvent,
} from "../../src/index.js";
import {
  describeHost,
  type FeedClient,
  graphOf,
  graphOfTrace,
  type Hello,
  LIVE_ACTIONS,
  LiveFeed,
  type LiveServer,
  MAX_EVENTS_PER_MESSAGE,
  PAGE_DIR,
  stackActions,
  startLiveServer,
  type ViolationView,
  violationsOfTrace,
} from "../../src/live/index.js";
import { pcapFile } from "../../src/pcap/pcapng.js";
import { loadStackFile, type RunningStack, startStack, stopStack } from "../../src/stack/index.js";
import { pingingStack, served } from "../helpers/live.js";
import { scriptedMiniport } from "../helpers/miniport.js";

async function upOnManualClock(): Promise<{
  running: RunningStack;
  clock: ManualClock;
  events: TraceEvent[];
}> {
  const clock = new ManualClock();
  const events: TraceEvent[] = [];
  const running = await startStack(pingingStack(), {
    clock,
    setup: (host) => host.onTrace((e) => events.push(e), { dataPath: false }),
  });
  return { running, clock, events };
}

describe("the stack graph", () => {
  test("the default stack, bottom to top: hub adapters, passthrough's protocol edge, its virtual miniports, the hosts", async () => {
    const { running } = await upOnManualClock();
    try {
      const graph = graphOf(running.host);
      const layer = Object.fromEntries(graph.nodes.map((n) => [n.id, [n.kind, n.layer, n.state]]));
      assert.deepEqual(layer, {
        "adapter eth0": ["miniport", 0, "Running"],
        "adapter eth1": ["miniport", 0, "Running"],
        "protocol passthrough": ["im-protocol", 1, null],
        "adapter eth0-pt": ["virtual-miniport", 2, "Running"],
        "adapter eth1-pt": ["virtual-miniport", 2, "Running"],
        "protocol host-a": ["protocol", 3, null],
        "protocol host-b": ["protocol", 3, null],
      });
      const edges = graph.edges.map((e) => `${e.kind} ${e.upper} > ${e.lower} ${e.state}`).sort();
      assert.deepEqual(edges, [
        "binding protocol host-a > adapter eth0-pt Running",
        "binding protocol host-b > adapter eth1-pt Running",
        "binding protocol passthrough > adapter eth0 Running",
        "binding protocol passthrough > adapter eth1 Running",
        "im adapter eth0-pt > protocol passthrough null",
        "im adapter eth1-pt > protocol passthrough null",
      ]);
      // A binding's id is the name its state machine reports in the trace.
      assert.ok(graph.edges.some((e) => e.id === "binding host-a → eth0-pt"));
    } finally {
      await stopStack(running);
    }
  });

  test("filter modules stack over their adapter; the bindings sit on the top one", () => {
    const adapter: AdapterInfo = {
      name: "eth0",
      driver: "nic",
      intermediate: false,
      state: "Running",
      ifIndex: 1,
      mtu: 1500,
      macAddress: null,
      mediaConnectState: "connected",
    };
    const tcpip: DriverInfo = {
      name: "tcpip",
      driverName: "\\Driver\\tcpip",
      registryPath: "",
      state: "loaded",
      miniportDrivers: [],
      filterDrivers: [],
      protocolDrivers: [
        {
          name: "tcpip",
          ndisVersion: "6.89",
          revision: 2,
          headerType: "",
          handlers: [],
          optionalHandlers: [],
          associatedWithMiniport: false,
        },
      ],
    };
    const graph = graphOf({
      adapters: [adapter],
      bindings: [{ protocol: "tcpip", adapter: "eth0", state: "Running" }],
      drivers: [tcpip],
      filters: [
        { name: "lwf-a", driver: "lwf", adapter: "eth0", state: "Running" },
        { name: "lwf-b", driver: "lwf", adapter: "eth0", state: "Paused" },
      ],
    });
    const at = Object.fromEntries(graph.nodes.map((n) => [n.id, n.layer]));
    assert.deepEqual(at, {
      "adapter eth0": 0,
      "filter lwf-a": 1,
      "filter lwf-b": 2,
      "protocol tcpip": 3,
    });
    assert.equal(graph.edges.find((e) => e.kind === "binding")?.lower, "filter lwf-b");
    assert.equal(graph.nodes.find((n) => n.id === "filter lwf-b")?.state, "Paused");
  });

  test("a running host's filter modules stand between their adapter and the bindings above it (examples/filter-ping.yaml)", async () => {
    const file = fileURLToPath(new URL("../../examples/filter-ping.yaml", import.meta.url));
    const running = await startStack(await loadStackFile(file), { clock: new ManualClock() });
    try {
      const graph = graphOf(describeHost(running.host));
      const node = (id: string) => graph.nodes.find((n) => n.id === id);
      for (const adapter of ["eth0", "eth1-pt"]) {
        const id = `filter filter-passthrough on ${adapter}`;
        assert.equal(node(id)?.kind, "filter", `${id} is drawn`);
        assert.equal(node(id)?.state, "Running");
        assert.ok(
          (node(id)?.layer ?? -1) > (node(`adapter ${adapter}`)?.layer ?? 99),
          `${id} stands above adapter ${adapter}`,
        );
        const binding = graph.edges.find((e) => e.kind === "binding" && e.lower === id);
        assert.ok(binding !== undefined, `a binding over ${adapter} reaches it through ${id}`);
      }
      assert.equal(node("filter filter-passthrough on eth1"), undefined, "eth1 has no module");
    } finally {
      await stopStack(running);
    }
  });

  test("a recorded trace's state events give the same graph, in the states before the bring-up", async () => {
    const { running, events } = await upOnManualClock();
    await stopStack(running);
    const fromTrace = graphOfTrace(events);
    const fromHost = graphOf(running.host);
    assert.equal(fromHost.nodes.length, 0, "after the teardown the host holds nothing");
    const kinds = Object.fromEntries(
      fromTrace.nodes.map((n) => [n.id, [n.kind, n.layer, n.state]]),
    );
    assert.deepEqual(kinds, {
      "protocol passthrough": ["im-protocol", 1, null],
      "protocol host-a": ["protocol", 3, null],
      "protocol host-b": ["protocol", 3, null],
      "adapter eth0": ["miniport", 0, "Halted"],
      "adapter eth1": ["miniport", 0, "Halted"],
      "adapter eth0-pt": ["virtual-miniport", 2, "Halted"],
      "adapter eth1-pt": ["virtual-miniport", 2, "Halted"],
    });
    assert.equal(fromTrace.edges.filter((e) => e.kind === "binding").length, 4);
    assert.equal(fromTrace.edges.filter((e) => e.kind === "im").length, 2);
  });
});

describe("the graph of a recorded trace with filter modules", () => {
  test("each module is named as the live graph names it and stands between its adapter and the bindings (examples/filter-ping.yaml)", async () => {
    const file = fileURLToPath(new URL("../../examples/filter-ping.yaml", import.meta.url));
    const events: TraceEvent[] = [];
    const running = await startStack(await loadStackFile(file), {
      clock: new ManualClock(),
      setup: (host) => host.onTrace((e) => events.push(e), { dataPath: false }),
    });
    const live = graphOf(describeHost(running.host));
    await stopStack(running);
    const fromTrace = graphOfTrace(events);
    const filters = (g: typeof live) =>
      g.nodes
        .filter((n) => n.kind === "filter")
        .map((n) => n.id)
        .sort();
    assert.ok(filters(live).length > 0, "the example attaches filter modules");
    assert.deepEqual(filters(fromTrace), filters(live));
    for (const id of filters(live)) {
      const lowerOf = (g: typeof live) =>
        g.edges.find((e) => e.kind === "filter" && e.upper === id)?.lower;
      assert.equal(lowerOf(fromTrace), lowerOf(live), `${id} sits on the same node`);
    }
    const bindingsOn = (g: typeof live) =>
      g.edges
        .filter((e) => e.kind === "binding")
        .map((e) => `${e.upper} on ${e.lower}`)
        .sort();
    assert.deepEqual(bindingsOn(fromTrace), bindingsOn(live));
  });
});

/** Runs `body` with a feed attached to the pinging stack on a ManualClock; tears both down. */
async function withFeed(
  body: (context: { clock: ManualClock; feed: LiveFeed; running: RunningStack }) => Promise<void>,
): Promise<void> {
  const { running, clock } = await upOnManualClock();
  const feed = LiveFeed.live({ title: "t", now: () => Number(clock.now()) / 1e6 });
  try {
    feed.attach(running.host);
    await body({ clock, feed, running });
  } finally {
    feed.close();
    await stopStack(running);
  }
}

/** A client that records what it is sent and answers `full` to every write while set. */
function recorder(): FeedClient & { sent: { type: string; data: unknown }[]; full: boolean } {
  const sent: { type: string; data: unknown }[] = [];
  const client = {
    sent,
    full: false,
    write(type: string, data: unknown) {
      sent.push({ type, data });
      return !client.full;
    },
  };
  return client;
}

describe("the feed", () => {
  test("the trace listener only records: clients are written on the feed's flush, never from inside the stack", async () => {
    await withFeed(async ({ clock, feed }) => {
      const client = recorder();
      feed.connect(client);
      assert.equal(client.sent.length, 1);
      assert.equal(client.sent[0]?.type, "hello");
      clock.advance(1000); // pings, timers, state of the hosts: trace events
      assert.equal(client.sent.length, 1, "nothing was written while the stack ran");
      feed.flush();
      const types = client.sent.map((m) => m.type);
      assert.deepEqual(types, ["hello", "events", "tick"]);
      const tick = client.sent[2]?.data as { rows: { id: string; rxPackets: number }[] };
      assert.ok((tick.rows.find((r) => r.id === "adapter eth0")?.rxPackets ?? 0) > 0);
    });
  });

  test("a congested client is skipped, then gets one coarse catch-up: the newest events, how many it missed, the latest counters", async () => {
    await withFeed(async ({ clock, feed }) => {
      const slow = recorder();
      const fast = recorder();
      slow.full = true;
      const link = feed.connect(slow); // the hello already fills its connection
      feed.connect(fast);
      for (let i = 0; i < 20; i++) {
        clock.advance(500);
        feed.flush();
      }
      assert.equal(slow.sent.length, 1, "nothing more was written to the full connection");
      const fastEvents = fast.sent
        .filter((m) => m.type === "events")
        .reduce((n, m) => n + (m.data as { events: unknown[] }).events.length, 0);
      assert.ok(fastEvents > MAX_EVENTS_PER_MESSAGE, `enough events to skip some (${fastEvents})`);
      slow.full = false;
      link.drained();
      const types = slow.sent.slice(1).map((m) => m.type);
      assert.deepEqual(types, ["events", "tick"], "one catch-up");
      const batch = slow.sent[1]?.data as { events: TraceEvent[]; skipped: number };
      assert.equal(batch.events.length, MAX_EVENTS_PER_MESSAGE);
      assert.equal(batch.skipped, fastEvents - MAX_EVENTS_PER_MESSAGE);
      const lastFast = fast.sent.filter((m) => m.type === "events").at(-1)?.data as {
        events: TraceEvent[];
      };
      assert.equal(batch.events.at(-1)?.seq, lastFast.events.at(-1)?.seq, "it is up to date");
      assert.deepEqual(slow.sent.at(-1)?.data, fast.sent.at(-1)?.data, "the same latest counters");
    });
  });

  test("the data path's per-NBL calls are traced only when asked for", async () => {
    const names = (client: ReturnType<typeof recorder>) =>
      new Set(
        client.sent
          .filter((m) => m.type === "events")
          .flatMap((m) => (m.data as { events: TraceEvent[] }).events.map((e) => e.name)),
      );
    await withFeed(async ({ clock, feed }) => {
      const client = recorder();
      feed.connect(client);
      clock.advance(1000);
      feed.flush();
      assert.ok(names(client).has("TimerFunction"), "the control path is there");
      assert.ok(!names(client).has("MiniportSendNetBufferLists"));
      feed.setDataPath(true);
      clock.advance(1000);
      feed.flush();
      assert.ok(names(client).has("MiniportSendNetBufferLists"));
      assert.ok(names(client).has("ProtocolReceiveNetBufferLists"));
    });
  });

  test("a violation reaches the page as it happens, with its report", async () => {
    const host = new NdisHost({ verifier: "record" });
    const mp = scriptedMiniport({ pause: () => 12345 }); // not an NDIS_STATUS
    await host.loadDriver({ name: "mp", module: mp.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    const feed = LiveFeed.live({ title: "t" });
    try {
      feed.attach(host);
      const client = recorder();
      feed.connect(client);
      feed.flush();
      assert.equal(client.sent.filter((m) => m.type === "violations").length, 0);
      await host.pauseStack("eth0");
      feed.flush();
      const sent = client.sent.find((m) => m.type === "violations")?.data as ViolationView[];
      assert.equal(sent.length, 1);
      assert.equal(sent[0]?.rule, "MiniportPause_Return");
      assert.match(
        sent[0]?.report ?? "",
        /^\[error\] MiniportPause_Return \(driver mp\): MiniportPause of adapter eth0/,
      );
      assert.match(sent[0]?.report ?? "", /the calls that led there:/);
      const events = client.sent
        .filter((m) => m.type === "events")
        .flatMap((m) => (m.data as { events: TraceEvent[] }).events);
      assert.ok(events.some((e) => e.kind === "violation" && e.name === "MiniportPause_Return"));
      feed.flush();
      assert.equal(client.sent.filter((m) => m.type === "violations").length, 1, "sent once");
    } finally {
      feed.close();
    }
  });

  test("a recorded trace's violations come back from their events", () => {
    const events: TraceEvent[] = [
      {
        seq: 1,
        time: 0,
        depth: 1,
        kind: "ddi",
        phase: "call",
        name: "NdisMPauseComplete",
        driver: "mp",
      },
      {
        seq: 2,
        time: 0,
        depth: 1,
        kind: "violation",
        phase: "call",
        name: "MiniportPause_NblsOutstanding",
        driver: "mp",
        detail: "[error] MiniportPause_NblsOutstanding (driver mp): 2 sends — the doc",
      },
    ];
    assert.deepEqual(violationsOfTrace(events), [
      {
        rule: "MiniportPause_NblsOutstanding",
        severity: "error",
        driver: "mp",
        report: "[error] MiniportPause_NblsOutstanding (driver mp): 2 sends — the doc",
      },
    ]);
  });
});

/** Resolves once `condition` holds, checked on every turn of the event loop; rejects after `ms`. */
function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (condition()) resolve();
      else if (performance.now() > deadline) reject(new Error(`not true after ${ms} ms`));
      else setImmediate(check);
    };
    check();
  });
}

/** One raw HTTP request (the path exactly as given, never normalised). */
function raw(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: options.method ?? "GET",
        headers: { host: `127.0.0.1:${port}`, ...options.headers },
      },
      (res) => {
        if ((res.headers["content-type"] ?? "").startsWith("text/event-stream")) {
          // Read up to the first message, then hang up.
          let text = "";
          res.on("data", (chunk: Buffer) => {
            text += chunk.toString();
            if (text.includes("\n\n")) {
              resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers });
              req.destroy();
            }
          });
          return;
        }
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            headers: res.headers,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("the server", () => {
  let running: RunningStack;
  let feed: LiveFeed;
  let server: LiveServer;
  const origin = () => `http://127.0.0.1:${server.port}`;
  const post = (body: object, headers: Record<string, string> = {}) =>
    raw(server.port, "/action", {
      method: "POST",
      headers: { origin: origin(), "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  before(async () => {
    running = await startStack(pingingStack(), {});
    feed = LiveFeed.live({ title: "server test" });
    feed.attach(running.host);
    feed.setActions(LIVE_ACTIONS);
    server = await startLiveServer({ feed, actions: stackActions(running, feed) });
  });
  after(async () => {
    feed.close();
    await server.close();
    await stopStack(running);
  });

  test("listens on 127.0.0.1 only and serves the page with a strict Content-Security-Policy", async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await raw(server.port, "/");
    assert.equal(page.status, 200);
    assert.match(page.body, /<svg id="graph"/);
    assert.match(
      String(page.headers["content-security-policy"]),
      /default-src 'none'.*script-src 'self'/,
    );
    const draw = await raw(server.port, "/sequence-draw.js");
    assert.equal(draw.status, 200);
    assert.match(draw.body, /var ndisSequence =/);
    assert.match((await raw(server.port, "/live.js")).body, /new EventSource\("\/events"\)/);
  });

  test("serves nothing outside the page's files", async () => {
    for (const path of [
      "/../package.json",
      "/..%2fpackage.json",
      "/%2e%2e/%2e%2e/package.json",
      "/live.js/../../../package.json",
      "//etc/passwd",
      "/web/live/index.html",
      "/src/live/server.ts",
      "/index.html%00.js",
      "/LIVE.JS",
    ]) {
      const answer = await raw(server.port, path);
      assert.equal(answer.status, 404, `${path} → ${answer.status}`);
      assert.doesNotMatch(answer.body, /"name": "ndis-ts"|root:/);
    }
  });

  test("refuses another Host (DNS rebinding) and other origins, on the page, the stream and the actions", async () => {
    const evil = { origin: "http://evil.example" };
    assert.equal((await raw(server.port, "/", { headers: { host: "evil.example" } })).status, 403);
    assert.equal(
      (await raw(server.port, "/events", { headers: { host: `evil.example:${server.port}` } }))
        .status,
      403,
    );
    assert.equal((await raw(server.port, "/events", { headers: evil })).status, 403);
    assert.equal((await raw(server.port, "/", { headers: evil })).status, 403);
    assert.equal((await post({ action: "pause", adapter: "eth0" }, evil)).status, 403);
    // An action must name its origin and be JSON (a cross-site form cannot be either).
    const noOrigin = await raw(server.port, "/action", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: "pause", adapter: "eth0" }),
    });
    assert.equal(noOrigin.status, 403);
    assert.equal(
      (await post({ action: "pause", adapter: "eth0" }, { "content-type": "text/plain" })).status,
      403,
    );
    assert.equal(running.host.adapter("eth0")?.state, "Running", "none of them acted");
    // Its own origin is welcome.
    const stream = await raw(server.port, "/events", { headers: { origin: origin() } });
    assert.equal(stream.status, 200);
    assert.match(stream.body, /^event: hello\ndata: \{/);
  });

  test("the actions: pause and restart a stack, link down and up, inject a frame, with errors named", async () => {
    const paused = await post({ action: "pause", adapter: "eth0" });
    assert.deepEqual(JSON.parse(paused.body), { ok: true, result: "eth0 is Paused" });
    assert.equal(running.host.adapter("eth0")?.state, "Paused");
    const again = await post({ action: "pause", adapter: "eth0" });
    assert.equal(again.status, 409);
    assert.match(JSON.parse(again.body).error, /only a Running stack pauses/);
    assert.equal(
      JSON.parse((await post({ action: "restart", adapter: "eth0" })).body).result,
      "eth0 is Running",
    );
    assert.equal(
      JSON.parse((await post({ action: "link-down", adapter: "eth1" })).body).result,
      "eth1: link down",
    );
    assert.equal(
      JSON.parse((await post({ action: "link-up", adapter: "eth1" })).body).result,
      "eth1: link up",
    );
    assert.match(
      JSON.parse((await post({ action: "link-down", adapter: "eth0-pt" })).body).error,
      /cannot set the link/,
    );
    assert.match(
      JSON.parse((await post({ action: "pause", adapter: "nope" })).body).error,
      /no adapter named "nope"/,
    );
    assert.match(
      JSON.parse((await post({ action: "explode" })).body).error,
      /unknown action "explode"/,
    );

    // A broadcast frame from a capture, handed to eth0 as if from the wire.
    const frame = new Uint8Array(60);
    frame.fill(0xff, 0, 6);
    frame.set([0x02, 0, 0, 0, 0, 0x99], 6);
    frame.set([0x88, 0xb5], 12); // a local experimental EtherType nobody answers
    const pcap = Buffer.from(pcapFile([{ timeNs: 0n, data: frame }])).toString("base64");
    const before =
      running.host.statistics().adapters.find((a) => a.name === "eth0")?.receivedPackets ?? 0;
    const injected = await post({ action: "inject", adapter: "eth0", pcap, frame: 1 });
    assert.deepEqual(JSON.parse(injected.body), { ok: true, result: "eth0: 60-byte frame queued" });
    await running.host.settle();
    // The hub indicates it from the adapter's DPC, a timer on the host clock: wait for the count.
    await until(
      () =>
        (running.host.statistics().adapters.find((a) => a.name === "eth0")?.receivedPackets ?? 0) >
        before,
      5000,
    );
    assert.match(
      JSON.parse((await post({ action: "inject", adapter: "eth0", pcap, frame: 2 })).body).error,
      /frame 2 is not in the capture \(it has 1 frame\)/,
    );
    assert.match(
      JSON.parse((await post({ action: "inject", adapter: "eth0", pcap: "AAAA" })).body).error,
      /capture file/,
    );
  });
});

describe("the page's files", () => {
  test("ship in the package and are found from src/ and dist/ alike", async () => {
    const root = fileURLToPath(new URL("../../", import.meta.url));
    const pack = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: root,
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(pack.status, 0, pack.stderr);
    const files = (JSON.parse(pack.stdout) as { files: { path: string }[] }[])[0]?.files.map(
      (f) => f.path,
    );
    for (const file of ["web/live/index.html", "web/live/live.js", "web/live/live.css"])
      assert.ok(files?.includes(file), `npm pack ships ${file}`);
    assert.equal(PAGE_DIR, join(root, "web/live/"));
    const built = join(root, "dist/live/server.js");
    if (existsSync(built)) {
      const fromDist = (await import(pathToFileURL(built).href)) as { PAGE_DIR: string };
      assert.equal(fromDist.PAGE_DIR, PAGE_DIR, "the built server finds the same folder");
    }
  });
});

describe("ndis ui's input", () => {
  test("a file that is not a recording, or a token that replays nothing, is a clear error", async () => {
    const { ui, UiInputError } = await import("../../src/cli/commands/ui.js");
    const { createOutput } = await import("../../src/cli/output.js");
    const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "ndis-ui-"));
    try {
      const file = join(dir, "bad.ndjson");
      writeFileSync(file, '{"seq":1}\n');
      const out = createOutput(() => {});
      await assert.rejects(ui({ input: file }, out), (err: Error) => {
        assert.ok(err instanceof UiInputError);
        assert.match(err.message, /bad\.ndjson: line 1: "time" must be a finite number/);
        return true;
      });
      await assert.rejects(ui({ input: join(dir, "missing.ndjson") }, out), /cannot read/);
      await assert.rejects(
        ui({ input: "./test/fixtures/broken-im.ts", replay: "no-such-scenario:random:1" }, out),
        (err: Error) => err instanceof UiInputError && /no-such-scenario/.test(err.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("ndis ui --replay: an ndis verify failure in the page", () => {
  test("the failing run is replayed, traced, and served with its report, graph and violations", async () => {
    const { ui } = await import("../../src/cli/commands/ui.js");
    const { EventEmitter } = await import("node:events");
    const { materialize } = await import("../helpers/mutants.js");
    const { brokenIm } = await import("../fixtures/broken-im.js");
    const signals = new EventEmitter();
    const { url, done } = served((out) =>
      ui(
        {
          input: materialize(brokenIm["pause-success"]),
          replay: "pause-restart-under-traffic:fifo",
        },
        out,
        {
          signals,
        },
      ),
    );
    try {
      const port = Number(new URL(await url).port);
      const stream = await raw(port, "/events");
      const hello = JSON.parse(/^data: (.*)$/m.exec(stream.body)?.[1] ?? "null") as Hello;
      assert.equal(hello.mode, "replay");
      assert.match(hello.title, /--replay pause-restart-under-traffic:fifo \(fail\)/);
      assert.match(hello.failure ?? "", /MiniportPause_NblsOutstanding/);
      assert.ok(hello.violations.some((v) => v.rule === "MiniportPause_NblsOutstanding"));
      assert.ok(hello.events.some((e) => e.kind === "violation"));
      const kinds = new Set(hello.graph.nodes.map((n) => n.kind));
      assert.ok(kinds.has("miniport") && kinds.has("virtual-miniport"), [...kinds].join(", "));
      assert.deepEqual(hello.actions, [], "a replay has no host to act on");
      const action = await raw(port, "/action", {
        method: "POST",
        headers: { origin: `http://127.0.0.1:${port}`, "content-type": "application/json" },
        body: JSON.stringify({ action: "pause", adapter: "x" }),
      });
      assert.equal(action.status, 409);
    } finally {
      signals.emit("SIGINT");
      assert.equal(await done, 0);
    }
  });
});
