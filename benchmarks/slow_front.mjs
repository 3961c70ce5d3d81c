// A FHIR front for the mixed-load benchmark: answers each GET `delay` ms after it arrived, with
// the origin's answer for that URL (fetched once, then kept). It stands in for an EHR's FHIR
// server on another machine, so it must cost next to no CPU on the machine being measured:
// node answers a kept GET in well under a millisecond of CPU (a Python http.server took several).
//
//   node slow_front.mjs <origin base URL> <delay ms>   -> prints "READY <base URL>" when listening
import http from "node:http";

const [origin, delayArg] = process.argv.slice(2);
const delayMs = Number(delayArg);
const originUrl = new URL(origin);
const kept = new Map(); // path -> Promise<{status, body}>

function fromOrigin(path) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: originUrl.hostname, port: originUrl.port, path, timeout: 10000 },
      (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("origin timed out")));
    req.on("error", reject);
  });
}

const server = http.createServer((req, res) => {
  const arrived = Date.now();
  if (req.method !== "GET") {
    res.writeHead(405).end();
    return;
  }
  let answer = kept.get(req.url);
  if (answer === undefined) {
    answer = fromOrigin(req.url);
    kept.set(req.url, answer);
    answer.catch(() => kept.delete(req.url));
  }
  answer.then(
    ({ status, body }) => {
      setTimeout(() => {
        res.writeHead(status, {
          "Content-Type": "application/fhir+json",
          "Content-Length": body.length,
        });
        res.end(body);
      }, Math.max(0, delayMs - (Date.now() - arrived)));
    },
    () => res.writeHead(502).end(),
  );
});
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  console.log(`READY http://127.0.0.1:${port}${originUrl.pathname.replace(/\/$/, "")}`);
});
