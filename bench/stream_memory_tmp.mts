import { filterHost, chatRequest } from "../test/filter/helpers.ts";
import { chatHeaders, JSON_RESPONSE_HEADERS } from "../fixtures/llm.ts";
const N = Number(process.argv[2] ?? 50000);
const withResponse = process.argv[3] !== "admit-only";
const host = await filterHost();
const mib = (b: number) => (b / 1048576).toFixed(1) + " MiB";
console.log("start", mib(host.memoryBytes(0)));
for (let round = 0; round < 2; round++) {
  const open = [];
  for (let i = 0; i < N; i++) {
    const s = host.newStream();
    s.sendRequestHeaders(chatHeaders(`u${i % 1000}`, ["gold"]), false);
    s.sendRequestBody(chatRequest(10), true);
    if (withResponse) {
      s.sendResponseHeaders(JSON_RESPONSE_HEADERS, false);
      s.sendResponseBody('{"id":"x","choices":[{"message":{"content":"', false);
    }
    open.push(s);
  }
  console.log(`round ${round}: ${N} open`, mib(host.memoryBytes(0)));
  for (const s of open) {
    if (!withResponse) { s.sendResponseHeaders(JSON_RESPONSE_HEADERS, false); s.sendResponseBody('{"id":"x","choices":[{"message":{"content":"', false); }
    s.sendResponseBody('ok"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}', true);
  }
  console.log(`round ${round}: ended`, mib(host.memoryBytes(0)));
}
