import { createTapNamespace } from "../test/helpers/netns.js";
import { startTapStack } from "../test/helpers/tap-stack.js";

const net = createTapNamespace();
try {
  const stack = await startTapStack(net);
  console.log(stack.tap());
  const r = await net.run(["ping", "-c", "3", "-i", "0.2", "-W", "1", "198.51.100.2"]);
  console.log(r.stdout);
  const u = await net.run([
    process.execPath,
    "-e",
    `const s=require("node:dgram").createSocket("udp4");s.on("message",(m)=>{console.log("reply",String(m));s.close()});s.send("hello",7,"198.51.100.2");setTimeout(()=>{console.log("timeout");process.exit(1)},2000)`,
  ]);
  console.log(u.stdout, u.stderr);
  console.log(stack.tap().counters, stack.tap().drops, stack.ipv4().counters);
  await stack.teardown();
  console.log("violations", stack.host.violations);
} finally {
  net.destroy();
}
