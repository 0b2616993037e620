// Loopback ports for the runtimes the suites start (workerd, WebKitWebDriver).
import { createServer } from "node:net";

/** A port the kernel just handed out on 127.0.0.1 (free unless someone takes it in between). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}
