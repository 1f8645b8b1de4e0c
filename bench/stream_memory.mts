// Wasm memory of a worker VM during and after two bursts of N concurrent streams whose
// responses have started (each holding its usage reader), all ending after each burst.
//   node --import tsx bench/stream_memory.mts [N] [wasm] [bursts]
import { Host } from "../host-test/index.ts";
import { chatRequest, NINE_AM } from "../test/filter/helpers.ts";
import { chatHeaders, EXAMPLE_POLICY, JSON_RESPONSE_HEADERS } from "../fixtures/llm.ts";

const N = Number(process.argv[2] ?? 50000);
const wasm = process.argv[3] ?? "build/tokenlimit.wasm";
const bursts = Number(process.argv[4] ?? 2);
const host = await Host.create({ wasm, pluginConfig: EXAMPLE_POLICY, now: NINE_AM, trace: false });
const mib = (b: number) => (b / 1048576).toFixed(1) + " MiB";
console.log(`${wasm}: start ${mib(host.memoryBytes(0))}`);
for (let round = 1; round <= bursts; round++) {
  const open = [];
  for (let i = 0; i < N; i++) {
    const s = host.newStream();
    s.sendRequestHeaders(chatHeaders(`u${i % 1000}`, ["gold"]), false);
    s.sendRequestBody(chatRequest(10), true);
    s.sendResponseHeaders(JSON_RESPONSE_HEADERS, false);
    s.sendResponseBody('{"id":"x","choices":[{"message":{"content":"', false);
    open.push(s);
  }
  const peak = host.memoryBytes(0);
  for (const s of open) s.sendResponseBody('ok"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}', true);
  console.log(`burst ${round}: ${N} open ${mib(peak)}, all ended ${mib(host.memoryBytes(0))}`);
}
