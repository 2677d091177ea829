/**
 * Writes examples/peer-pings.pcap, the capture examples/pcap-replay.yaml replays: a peer,
 * 198.51.100.9 (02-00-00-00-00-09), asks by ARP who has 198.51.100.1, then pings it four times
 * 250 ms apart and sends one UDP datagram to port 7. Run: `npx tsx test/helpers/example-capture.ts`.
 * test/unit/examples.test.ts checks that the committed file is what this script writes.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ARP_REQUEST, buildArp } from "../../src/net/arp.js";
import {
  BROADCAST_MAC,
  buildEthernet,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
} from "../../src/net/ethernet.js";
import { buildIcmpEcho, ICMP_ECHO_REQUEST } from "../../src/net/icmp.js";
import { buildIpv4Packet, IPPROTO_ICMP, IPPROTO_UDP, parseIPv4 } from "../../src/net/ipv4.js";
import { buildUdp } from "../../src/net/udp.js";
import { pcapFile } from "../../src/pcap/pcapng.js";

export const PEER_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x09);
export const HOST_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x01);
const peer = parseIPv4("198.51.100.9") ?? 0;
const host = parseIPv4("198.51.100.1") ?? 0;
/** 2026-01-01T00:00:00Z: a fixed start, so the file is the same on every run. */
const START_NS = 1_767_225_600_000_000_000n;
const MS = 1_000_000n;

function ipv4Frame(protocol: number, payload: Uint8Array, identification: number): Uint8Array {
  return buildEthernet({
    dst: HOST_MAC,
    src: PEER_MAC,
    ethertype: ETHERTYPE_IPV4,
    payload: buildIpv4Packet({ src: peer, dst: host, protocol, payload, identification }),
  });
}

export function examplePackets(): { timeNs: bigint; data: Uint8Array }[] {
  const packets = [
    {
      timeNs: START_NS,
      data: buildEthernet({
        dst: BROADCAST_MAC,
        src: PEER_MAC,
        ethertype: ETHERTYPE_ARP,
        payload: buildArp({
          op: ARP_REQUEST,
          senderMac: PEER_MAC,
          senderIp: peer,
          targetMac: new Uint8Array(6),
          targetIp: host,
        }),
      }),
    },
  ];
  for (let seq = 1; seq <= 4; seq++) {
    const echo = buildIcmpEcho({
      type: ICMP_ECHO_REQUEST,
      identifier: 0x4e44,
      sequence: seq,
      data: new TextEncoder().encode(`ndis-ts example ping ${seq}`),
    });
    packets.push({
      timeNs: START_NS + BigInt(seq) * 250n * MS,
      data: ipv4Frame(IPPROTO_ICMP, echo, seq),
    });
  }
  const udp = buildUdp(
    { srcPort: 40000, dstPort: 7, payload: new TextEncoder().encode("echo me") },
    peer,
    host,
  );
  packets.push({ timeNs: START_NS + 1250n * MS, data: ipv4Frame(IPPROTO_UDP, udp, 5) });
  return packets;
}

export const EXAMPLE_CAPTURE = fileURLToPath(
  new URL("../../examples/peer-pings.pcap", import.meta.url),
);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(EXAMPLE_CAPTURE, pcapFile(examplePackets()));
  console.log(`wrote ${EXAMPLE_CAPTURE}`);
}
