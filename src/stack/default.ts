/**
 * The stack `ndis run` brings up when given no file: two IPv4 hosts on one hub, each behind the
 * passthrough IM driver, pinging each other for a few seconds. The same text is
 * examples/hub-ping.yaml (a test keeps them equal).
 */
import { parseStack, type Stack } from "./load.js";

export const DEFAULT_STACK_NAME = "(embedded default: examples/hub-ping.yaml)";

export const DEFAULT_STACK_YAML = `# Two IPv4 hosts on one hub, each behind the passthrough IM driver, pinging each other.
# This is what \`npx ndis run\` runs when given no file.
ndis:
  version: "6.89"
  verifier: record

drivers:
  - name: passthrough
    module: passthrough
  - name: host-a
    module: ipv4-host
  - name: host-b
    module: ipv4-host
  - name: hub
    module: hub

adapters:
  - name: eth0
    driver: hub
    registry: { Hub: lab }
  - name: eth1
    driver: hub
    registry: { Hub: lab }

bindings:
  # passthrough sits on both hub ports and gives each a virtual miniport (eth0-pt, eth1-pt) ...
  - { protocol: passthrough, adapter: eth0 }
  - { protocol: passthrough, adapter: eth1 }
  # ... and each host binds to one of them.
  - protocol: host-a
    adapter: eth0-pt
    registry:
      IPAddress: 198.51.100.1
      PrefixLength: 24
      PingTarget: 198.51.100.2
      PingCount: 4
      PingIntervalMs: 500
  - protocol: host-b
    adapter: eth1-pt
    registry:
      IPAddress: 198.51.100.2
      PrefixLength: 24
      PingTarget: 198.51.100.1
      PingCount: 4
      PingIntervalMs: 500
      UdpEchoPort: 7

run:
  duration: 3s
`;

export function defaultStack(): Stack {
  return parseStack(DEFAULT_STACK_YAML, DEFAULT_STACK_NAME, process.cwd());
}
