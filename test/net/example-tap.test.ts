/**
 * examples/tap-ping.yaml, run as a user runs it: the commands in its header comment, executed as
 * written (they create the namespace ndis-tp, the veth pair, the macvtap ndis-tap0 and its device
 * node), then `ndis run` on the file with a capture and a trace file, while Linux pings the stack;
 * then the comment's removal line. Needs root and `ip netns`, and the example's names free;
 * skips with the reason otherwise.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { run } from "../../src/cli/commands/run.js";
import { createOutput } from "../../src/cli/output.js";
import { readCapture } from "../../src/pcap/pcapng.js";
import { netnsSkipReason, runIn } from "../helpers/netns.js";

const EXAMPLE = fileURLToPath(new URL("../../examples/tap-ping.yaml", import.meta.url));
const comment = readFileSync(EXAMPLE, "utf8")
  .split("\n")
  .filter((l) => l.startsWith("#   "))
  .map((l) => l.slice(4));
const setUp = comment.filter(
  (l) => (l.startsWith("ip ") && !l.startsWith("ip netns exec")) || l.startsWith("i=$("),
);
const removal = comment.find((l) => l.startsWith("rm -f /dev/tap"));

function skipReason(): string | null {
  const base = netnsSkipReason();
  if (base !== null) return base;
  for (const name of ["ndis-tp0", "ndis-tap0"])
    if (existsSync(`/sys/class/net/${name}`))
      return `${name}, the example's interface, exists; skipped`;
  const namespaces = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
  return /^ndis-tp\b/m.test(namespaces) ? "the example's namespace ndis-tp exists; skipped" : null;
}

const skip = skipReason();
const dir = mkdtempSync(join(tmpdir(), `ndis-tapex-${process.pid}-`));

after(() => {
  if (skip === null && removal !== undefined) {
    try {
      execFileSync("sh", ["-c", removal], { stdio: "ignore" });
    } catch {
      // Already gone.
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

async function pingFromLinux(count: number): Promise<string> {
  const ping = ["ping", "-c", String(count), "-i", "0.1", "-W", "2", "198.51.100.2"];
  return (await runIn("ndis-tp", ping, 30_000)).stdout;
}

test("tap-ping.yaml: the comment's commands make the wire; ndis run answers Linux, pings it, captures and traces", {
  skip: skip ?? false,
}, async () => {
  assert.equal(setUp.length, 3, `the three set-up lines: ${setUp.join(" | ")}`);
  assert.ok(removal !== undefined);
  for (const line of setUp)
    execFileSync("sh", ["-c", line], { stdio: ["ignore", "ignore", "pipe"] });
  const capture = join(dir, "tap.pcapng");
  const traceFile = join(dir, "trace.jsonl");
  let text = "";
  const out = createOutput(
    (t) => {
      text += t;
    },
    { json: true },
  );
  const done = run({ stack: EXAMPLE, capture, traceFile, interval: "1m", duration: "3s" }, out);
  // ipv4-host's own pings need Linux's ARP answer first; Linux's pings start once the stack is up.
  const deadline = Date.now() + 5000;
  while (!text.includes('"type":"up"') && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  const ping = await pingFromLinux(5);
  assert.equal(await done, 0, text);
  assert.match(ping, /5 packets transmitted, 5 received/);
  const records = text
    .trim()
    .split("\n")
    .map(
      (l) =>
        JSON.parse(l) as {
          type: string;
          driver?: string;
          interfaces?: {
            counters: { echoRepliesReceived: number; echoRequestsAnswered: number };
          }[];
        },
    );
  const ipv4 = records.find((r) => r.type === "report" && r.driver === "ipv4-host");
  assert.equal(
    ipv4?.interfaces?.[0]?.counters.echoRepliesReceived,
    3,
    "Linux answered its 3 pings",
  );
  assert.ok((ipv4?.interfaces?.[0]?.counters.echoRequestsAnswered ?? 0) >= 5);
  const frames = readCapture(new Uint8Array(readFileSync(capture)));
  assert.ok(frames.length >= 16, `${frames.length} frames captured`);
  assert.match(readFileSync(traceFile, "utf8"), /"name":"MiniportInitializeEx","driver":"tap"/);
  // The example opened a link it did not make: the link and its node are still there.
  assert.ok(existsSync("/sys/class/net/ndis-tap0"));
});
